//! The data folder: `DIR/<role>/` holds a role's store, the URL its server was last started at,
//! and admin credentials (files readable by their owner only).

use crate::error::CliError;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn role(&self, role: &str) -> PathBuf {
        self.root.join(role)
    }

    /// Where `hybrid serve ROLE` writes the URL it listens at.
    pub fn server_url_file(&self, role: &str) -> PathBuf {
        self.role(role).join("server.url")
    }

    /// An admin client for `role`'s server, trusting the certificate `hybrid serve --tls-cert`
    /// recorded under DIR/<role>/server.crt, if any.
    pub fn client(&self, role: &str, server: &str, credential: &str) -> crate::client::AdminClient {
        let ca = self.role(role).join("server.crt");
        crate::client::AdminClient::with_ca(server, credential, ca.exists().then_some(ca.as_path()))
    }

    pub fn server_url(&self, role: &str, explicit: Option<&str>) -> Result<String, CliError> {
        if let Some(u) = explicit {
            return Ok(u.trim_end_matches('/').to_string());
        }
        let f = self.server_url_file(role);
        std::fs::read_to_string(&f).map(|s| s.trim().trim_end_matches('/').to_string()).map_err(|_| CliError::Refused {
            code: crate::error::Code::ServerNotFound,
            message: format!(
                "no {role} server is recorded at {} (start one with `hybrid serve {role}`, or pass --server URL)",
                f.display()
            ),
        })
    }
}

/// Creates `dir` and any missing parents, each usable by its owner only (0700): a data folder
/// holds stores with private keys, and credentials.
pub fn create_private_dir(dir: &Path) -> Result<(), CliError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| CliError::io(dir, e))
}

/// Writes a file readable and writable by its owner only, replacing it atomically.
pub fn write_private(path: &Path, content: &str) -> Result<(), CliError> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(|e| CliError::io(&tmp, e))?;
    f.write_all(content.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| CliError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| CliError::io(path, e))
}

pub fn read_credential(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, e))?;
    let c = text.trim().to_string();
    if c.is_empty() {
        return Err(CliError::Refused {
            code: crate::error::Code::CredentialEmpty,
            message: format!("{} is empty", path.display()),
        });
    }
    Ok(c)
}
