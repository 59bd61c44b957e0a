//! The data folder itself: stores (private keys, credential hashes), keys and credentials
//! must be their owner's alone. Certificates are public and may be read by anyone.

use super::checks::{Check, warning};
use crate::paths::DataDir;
use std::path::{Path, PathBuf};

/// Folders and private files under the data folder that others may read or enter.
pub fn check(data: &DataDir) -> Check {
    let mut wide = Vec::new();
    collect(&data.root, 0, &mut wide);
    let findings = if wide.is_empty() {
        Vec::new()
    } else {
        let root = data.root.display().to_string();
        let shown: Vec<String> = wide
            .iter()
            .take(5)
            .map(|p| p.display().to_string())
            .collect();
        vec![warning(
            "DataFilesReadableByOthers",
            format!(
                "{} item(s) of the data folder can be read by other users of this machine ({}{}); they hold private keys and admin credentials",
                wide.len(),
                shown.join(", "),
                if wide.len() > 5 { ", …" } else { "" }
            ),
            vec![format!("chmod -R go-rwx {}", shell_word(&root))],
        )]
    };
    Check::new("Data folder permissions", findings)
}

/// The data folder's own folders and private files, two levels deep (DIR, DIR/<role>,
/// DIR/<role>/<folder>), whose mode gives anything to group or others.
fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::symlink_metadata(dir) else {
            return;
        };
        if meta.permissions().mode() & 0o077 != 0 {
            out.push(dir.to_path_buf());
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                if depth < 2 {
                    collect(&path, depth + 1, out);
                }
            } else if meta.is_file() && is_private(&path) && meta.permissions().mode() & 0o077 != 0
            {
                out.push(path);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, depth, out);
}

/// Everything but certificates (`.cer`, `.crt`, and `.pem` files that are not keys).
fn is_private(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let certificate = name.ends_with(".cer")
        || name.ends_with(".crt")
        || (name.ends_with(".pem") && !name.contains("key"));
    !certificate
}

fn shell_word(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn wide_private_files_are_found_and_certificates_are_not() {
        let root = std::env::temp_dir().join(format!("hybrid-doctor-files-{}", std::process::id()));
        let role = root.join("onprem");
        crate::paths::create_private_dir(&role).unwrap();
        for (name, mode) in [
            ("store.db", 0o600),
            ("tls.pem", 0o644),
            ("tls-key.pem", 0o600),
            ("admin.credential", 0o600),
        ] {
            std::fs::write(role.join(name), b"x").unwrap();
            std::fs::set_permissions(role.join(name), std::fs::Permissions::from_mode(mode))
                .unwrap();
        }
        let data = DataDir { root: root.clone() };
        assert!(check(&data).findings.is_empty());
        std::fs::set_permissions(
            role.join("store.db"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let c = check(&data);
        assert_eq!(c.findings.len(), 1);
        assert!(
            c.findings[0].message.starts_with("2 item(s)"),
            "{}",
            c.findings[0].message
        );
        assert_eq!(
            c.findings[0].fix,
            vec![format!("chmod -R go-rwx {}", root.display())]
        );
        std::fs::remove_dir_all(root).unwrap();
    }
}
