//! Exchange Management Shell lines as the runbook writes them: one cmdlet per line,
//! `$var = Cmdlet …`, `$var.Property`, `$True`/`$False`/`$null`, quoted and bare strings,
//! `-Param value` and `-Param:value` in any case and order, positional Identity/Name,
//! `#` comments, backtick line continuation, the read-only forms admins paste (`| Format-List`
//! / `fl`, `| Format-Table` / `ft`, `| Select-Object A, B`), and pipelines as the Teams edition
//! writes them: `Get-… | where Name -ne X | Remove-… -Confirm:$false` (a filter by
//! `where`/`Where-Object`/`?`, written bare or as `{ $_.Name -ne "X" -and … }`, then cmdlets
//! each piped object is bound to by its Identity).

use serde_json::{Map, Value};
use std::collections::HashMap;

/// A value as written, before variables are looked up.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Bool(bool),
    Null,
    /// `$name` or `$name.Property`.
    Var(String, Option<String>),
    List(Vec<Arg>),
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub line: usize,
    pub assign_to: Option<String>,
    pub cmdlet: String,
    pub params: Vec<(String, Arg)>,
    pub positional: Vec<Arg>,
    /// How the output is shown (`| fl`, `| ft`); a listing by default.
    pub format: Format,
    /// What the cmdlet's output goes through, in order.
    pub pipeline: Vec<Stage>,
}

/// How a statement's output is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    List,
    Table,
}

/// A stage of a pipeline after the first cmdlet.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Keeps the objects the condition holds for.
    Where(Condition),
    /// Keeps only the named properties of each object (`Select-Object A, B`).
    Select(Vec<String>),
    /// A cmdlet each object is given to (its Identity bound to -Identity).
    Cmdlet(Box<Statement>),
}

/// `Property -op Value` of a Where-Object.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub property: String,
    pub op: FilterOp,
    pub value: String,
}

/// Filters joined by `-and` and `-or` (`-and` binds tighter, as in PowerShell): any group
/// whose filters all hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub any_of: Vec<Vec<Filter>>,
}

impl Condition {
    pub fn keeps(&self, object: &Value) -> bool {
        self.any_of
            .iter()
            .any(|all| all.iter().all(|f| f.keeps(object)))
    }
}

/// PowerShell's comparison operators, case-insensitive as PowerShell's are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    Ne,
    Like,
    NotLike,
}

impl Filter {
    pub fn keeps(&self, object: &Value) -> bool {
        let actual = object
            .as_object()
            .and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&self.property))
                    .map(|(_, v)| v)
            })
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        let like = || onprem::rbac::like(&self.value, &actual);
        match self.op {
            FilterOp::Eq => actual.eq_ignore_ascii_case(&self.value),
            FilterOp::Ne => !actual.eq_ignore_ascii_case(&self.value),
            FilterOp::Like => like(),
            FilterOp::NotLike => !like(),
        }
    }
}

/// `where Name -ne X`, `Where-Object { $_.Name -ne "X" -and $_.Enabled -eq $true }`,
/// `? Name -like "Get*"`.
fn filter(stage: &str) -> Option<Result<Condition, String>> {
    let lower = stage.to_ascii_lowercase();
    let rest = ["where-object ", "where ", "? ", "?{"]
        .iter()
        .find_map(|p| {
            lower
                .starts_with(p)
                .then(|| stage[p.len() - usize::from(p.ends_with('{'))..].trim())
        })?;
    let body = rest
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .map(str::trim)
        .unwrap_or(rest);
    let tokens = match tokenize(body) {
        Ok(t) => t,
        Err(e) => return Some(Err(e)),
    };
    let mut words = Vec::new();
    for t in &tokens {
        match t {
            Token::Word(w) | Token::Quoted(w) => words.push(w.clone()),
            Token::List(_) => {
                return Some(Err(format!(
                    "a filter compares one property with one value; '{stage}' gives a list"
                )));
            }
        }
    }
    let mut any_of = Vec::new();
    for group in words.split(|w| w.eq_ignore_ascii_case("-or")) {
        let mut all = Vec::new();
        for part in group.split(|w| w.eq_ignore_ascii_case("-and")) {
            match one_filter(part, stage) {
                Ok(f) => all.push(f),
                Err(e) => return Some(Err(e)),
            }
        }
        any_of.push(all);
    }
    Some(Ok(Condition { any_of }))
}

/// `Property -op Value` (the property may be written `$_.Property`).
fn one_filter(part: &[String], stage: &str) -> Result<Filter, String> {
    let [property, op, value] = part else {
        return Err(format!(
            "a filter is 'where Property -op Value' (joined by -and or -or); '{stage}' is not one"
        ));
    };
    let property = property.strip_prefix("$_.").unwrap_or(property).to_string();
    let op = match op.to_ascii_lowercase().as_str() {
        "-eq" | "-ieq" => FilterOp::Eq,
        "-ne" | "-ine" => FilterOp::Ne,
        "-like" | "-ilike" => FilterOp::Like,
        "-notlike" | "-inotlike" => FilterOp::NotLike,
        other => {
            return Err(format!(
                "the comparison '{other}' is not one of -eq, -ne, -like, -notlike"
            ));
        }
    };
    let value = match value.to_ascii_lowercase().as_str() {
        "$true" => "true".to_string(),
        "$false" => "false".to_string(),
        _ => value.clone(),
    };
    Ok(Filter {
        property,
        op,
        value,
    })
}

/// `Select-Object A, B`, `select -Property A,B`: the property names.
fn select(stage: &str) -> Option<Result<Vec<String>, String>> {
    let lower = stage.to_ascii_lowercase();
    let rest = if matches!(lower.as_str(), "select-object" | "select") {
        ""
    } else {
        ["select-object ", "select "]
            .iter()
            .find_map(|p| lower.starts_with(p).then(|| stage[p.len()..].trim()))?
    };
    let tokens = match tokenize(rest) {
        Ok(t) => t,
        Err(e) => return Some(Err(e)),
    };
    let mut names = Vec::new();
    for t in tokens {
        match t {
            Token::Word(w) if w.eq_ignore_ascii_case("-property") => {}
            Token::Word(w) | Token::Quoted(w) => names.push(w),
            Token::List(items) => names.extend(items.into_iter().filter_map(|i| match i {
                Token::Word(w) | Token::Quoted(w) => Some(w),
                Token::List(_) => None,
            })),
        }
    }
    if names.is_empty() || names.iter().any(|n| n.starts_with('-') || n == "*") {
        return Some(Err(format!(
            "Select-Object takes the names of properties to keep; '{stage}' does not name them"
        )));
    }
    Some(Ok(names))
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Splits a script into statements; the first bad line stops parsing.
pub fn parse(script: &str) -> Result<Vec<Statement>, ParseError> {
    let mut out = Vec::new();
    let mut pending = String::new();
    let mut start = 0;
    for (i, raw) in script.lines().enumerate() {
        if pending.is_empty() {
            start = i + 1;
        }
        let line = strip_comment(raw);
        if let Some(cont) = line.trim_end().strip_suffix('`') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        pending.push_str(&line);
        let text = std::mem::take(&mut pending);
        if text.trim().is_empty() {
            continue;
        }
        out.push(statement(start, text.trim()).map_err(|message| ParseError {
            line: start,
            message,
        })?);
    }
    if !pending.trim().is_empty() {
        return Err(ParseError {
            line: start,
            message: "the script ends inside a continued line".into(),
        });
    }
    Ok(out)
}

fn strip_comment(line: &str) -> String {
    let (mut quote, mut out) = (None::<char>, String::new());
    for c in line.chars() {
        match (quote, c) {
            (None, '#') => break,
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Splits on `sep` outside quotes.
fn split_outside_quotes(s: &str, sep: char) -> Vec<String> {
    let (mut quote, mut cur, mut parts) = (None::<char>, String::new(), Vec::new());
    for c in s.chars() {
        match (quote, c) {
            (None, c) if c == sep => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    parts
}

fn statement(line: usize, text: &str) -> Result<Statement, String> {
    let stages = split_outside_quotes(text, '|');
    let mut format = None;
    let mut pipeline = Vec::new();
    for extra in &stages[1..] {
        let stage = extra.trim();
        let t = stage.to_ascii_lowercase();
        let first = t.split_whitespace().next().unwrap_or("");
        if format.is_some() {
            return Err(format!(
                "nothing may follow '| {first}': it only shows the output"
            ));
        }
        if matches!(first, "format-list" | "fl" | "format-table" | "ft") {
            format = Some(if first.ends_with('l') || first == "format-list" {
                Format::List
            } else {
                Format::Table
            });
            // `fl Name, Realm` shows those properties: a Select-Object before the format.
            let rest = stage[first.len()..].trim();
            if !rest.is_empty() && rest != "*" {
                let names = select(&format!("select {rest}")).unwrap_or_else(|| Ok(vec![]));
                pipeline.push(Stage::Select(names.map_err(|_| {
                    format!("'{stage}': {first} takes the names of the properties to show")
                })?));
            }
        } else if let Some(f) = filter(stage) {
            pipeline.push(Stage::Where(f?));
        } else if let Some(names) = select(stage) {
            pipeline.push(Stage::Select(names?));
        } else {
            let next = statement(line, stage)?;
            if next.assign_to.is_some() {
                return Err(format!("'{stage}' cannot assign inside a pipeline"));
            }
            pipeline.push(Stage::Cmdlet(Box::new(next)));
        }
    }
    let mut body = stages[0].trim();
    let mut assign_to = None;
    if let Some(rest) = body.strip_prefix('$')
        && let Some((name, cmd)) = rest.split_once('=')
        && is_name(name.trim())
    {
        assign_to = Some(name.trim().to_string());
        body = cmd.trim();
    }
    let tokens = tokenize(body)?;
    let mut it = tokens.into_iter().peekable();
    let cmdlet = match it.next() {
        Some(Token::Word(w)) if w.contains('-') && !w.starts_with('-') => w,
        Some(Token::Word(w) | Token::Quoted(w)) => {
            return Err(format!(
                "'{w}' is not a cmdlet (a cmdlet is Verb-Noun, e.g. Get-Mailbox)"
            ));
        }
        Some(Token::List(_)) => return Err("a line starts with a list, not a cmdlet".into()),
        None => return Err("expected a cmdlet".into()),
    };
    let mut params = Vec::new();
    let mut positional = Vec::new();
    while let Some(tok) = it.next() {
        match tok {
            Token::Word(w)
                if w.starts_with('-')
                    && w.len() > 1
                    && !w[1..].starts_with(|c: char| c.is_ascii_digit()) =>
            {
                let (name, attached) = match w[1..].split_once(':') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (w[1..].to_string(), None),
                };
                let value = match attached {
                    Some(v) if !v.is_empty() => value_of(Token::Word(v))?,
                    _ => match it.peek() {
                        Some(Token::Word(next))
                            if next.starts_with('-')
                                && next.len() > 1
                                && !next[1..].starts_with(|c: char| c.is_ascii_digit()) =>
                        {
                            Arg::Bool(true)
                        }
                        None => Arg::Bool(true),
                        Some(_) => value_of(it.next().expect("peeked"))?,
                    },
                };
                params.push((name, value));
            }
            other => positional.push(value_of(other)?),
        }
    }
    Ok(Statement {
        line,
        assign_to,
        cmdlet,
        params,
        positional,
        format: format.unwrap_or_default(),
        pipeline,
    })
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    /// Several values separated by commas.
    List(Vec<Token>),
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let mut out: Vec<Token> = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut after_comma = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = if c == '\'' || c == '"' {
            let mut v = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("a quoted string is not closed".into()),
                    Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                        v.push(c);
                        i += 2;
                    }
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&'`') if c == '"' && i + 1 < chars.len() => {
                        v.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(&ch) => {
                        v.push(ch);
                        i += 1;
                    }
                }
            }
            Token::Quoted(v)
        } else if c == ',' {
            i += 1;
            after_comma = true;
            continue;
        } else {
            let mut v = String::new();
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != ',' {
                v.push(chars[i]);
                i += 1;
            }
            Token::Word(v)
        };
        if after_comma {
            after_comma = false;
            match out.pop() {
                Some(Token::List(mut l)) => {
                    l.push(tok);
                    out.push(Token::List(l));
                }
                Some(prev) => out.push(Token::List(vec![prev, tok])),
                None => return Err("a list starts with a comma".into()),
            }
        } else {
            out.push(tok);
        }
    }
    if after_comma {
        return Err("a list ends with a comma".into());
    }
    Ok(out)
}

fn value_of(t: Token) -> Result<Arg, String> {
    Ok(match t {
        Token::Quoted(s) => Arg::Text(s),
        Token::List(items) => Arg::List(items.into_iter().map(value_of).collect::<Result<_, _>>()?),
        Token::Word(w) => match w.to_ascii_lowercase().as_str() {
            "$true" => Arg::Bool(true),
            "$false" => Arg::Bool(false),
            "$null" => Arg::Null,
            _ if w.starts_with('$') => {
                let rest = &w[1..];
                let (name, prop) = match rest.split_once('.') {
                    Some((n, p)) => (n, Some(p.to_string())),
                    None => (rest, None),
                };
                if !is_name(name) || prop.as_deref().is_some_and(|p| !is_name(p)) {
                    return Err(format!("'{w}' is not a variable reference"));
                }
                Arg::Var(name.to_string(), prop)
            }
            _ => Arg::Text(w),
        },
    })
}

/// Looks up variables: `$v.Prop` is the property of the object `$v` holds; `$v` alone is its
/// Identity, as when PowerShell binds an object to -Identity.
pub fn resolve(arg: &Arg, vars: &HashMap<String, Value>) -> Result<Value, String> {
    Ok(match arg {
        Arg::Text(s) => Value::String(s.clone()),
        Arg::Bool(b) => Value::Bool(*b),
        Arg::Null => Value::Null,
        Arg::List(items) => Value::Array(
            items
                .iter()
                .map(|a| resolve(a, vars))
                .collect::<Result<_, _>>()?,
        ),
        Arg::Var(name, prop) => {
            let v = vars
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
                .ok_or_else(|| format!("the variable ${name} is not set"))?;
            let member = prop.as_deref().unwrap_or("Identity");
            let found = v.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(member))
                    .map(|(_, v)| v.clone())
            });
            found.ok_or_else(|| format!("${name} has no property '{member}'"))?
        }
    })
}

/// The parameters of a statement, variables resolved, positional arguments bound (the first
/// to Identity, or to Name for New- cmdlets).
pub fn bind(st: &Statement, vars: &HashMap<String, Value>) -> Result<Map<String, Value>, String> {
    let mut map = Map::new();
    for (k, a) in &st.params {
        if map.keys().any(|e: &String| e.eq_ignore_ascii_case(k)) {
            return Err(format!("the parameter -{k} is given more than once"));
        }
        map.insert(k.clone(), resolve(a, vars)?);
    }
    match st.positional.as_slice() {
        [] => {}
        [one] => {
            let name = if st.cmdlet.to_ascii_lowercase().starts_with("new-") {
                "Name"
            } else {
                "Identity"
            };
            if map.keys().any(|e| e.eq_ignore_ascii_case(name)) {
                return Err(format!("a positional value and -{name} are both given"));
            }
            map.insert(name.to_string(), resolve(one, vars)?);
        }
        more => {
            return Err(format!(
                "{} positional values; name the parameters",
                more.len()
            ));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RUNBOOK: &str = r#"
# Step 2
$user = New-MailUser -Name SfBOnline-ApplicationAccount -ExternalEmailAddress SfBOnline-ApplicationAccount@contoso.com -DomainController dc01.contoso.com
Set-MailUser -Identity $user.Identity -HiddenFromAddressListsEnabled $True -DomainController dc01.contoso.com
New-ManagementRoleAssignment -Role UserApplication -User $user.Identity -DomainController dc01.contoso.com
New-ManagementRoleAssignment -Role ArchiveApplication -User $user.Identity -DomainController dc01.contoso.com
# Step 3
New-PartnerApplication -Name SfBOnline -ApplicationIdentifier 00000004-0000-0ff1-ce00-000000000000 -Enabled $True -LinkedAccount $user.Identity
"#;

    #[test]
    fn pipelines_as_the_teams_edition_writes_them() {
        for line in [
            r#"Get-ManagementRoleEntry "TeamsSchedulerRole\*" | where Name -ne GetDelegate | Remove-ManagementRoleEntry -Confirm:$false"#,
            r#"Get-ManagementRoleEntry 'TeamsSchedulerRole\*' | Where-Object { $_.Name -ne "GetDelegate" } | Remove-ManagementRoleEntry -Confirm:$false"#,
        ] {
            let st = &parse(line).unwrap()[0];
            assert_eq!(st.cmdlet, "Get-ManagementRoleEntry");
            assert_eq!(
                st.positional,
                vec![Arg::Text("TeamsSchedulerRole\\*".into())]
            );
            let [Stage::Where(c), Stage::Cmdlet(next)] = st.pipeline.as_slice() else {
                panic!("{:?}", st.pipeline);
            };
            let f = &c.any_of[0][0];
            assert_eq!(
                (f.property.as_str(), f.op, f.value.as_str()),
                ("Name", FilterOp::Ne, "GetDelegate")
            );
            assert!(
                f.keeps(&json!({"Name": "FindItem"})) && !f.keeps(&json!({"Name": "getdelegate"}))
            );
            assert_eq!(next.cmdlet, "Remove-ManagementRoleEntry");
            assert_eq!(next.params, vec![("Confirm".to_string(), Arg::Bool(false))]);
        }
        let like = &parse("Get-Mailbox | ? Name -like 'A*'").unwrap()[0].pipeline[0];
        let Stage::Where(f) = like else { panic!() };
        assert_eq!(f.any_of.len(), 1);
        assert!(f.keeps(&json!({"Name": "alice"})) && !f.keeps(&json!({"Name": "bob"})));
    }

    #[test]
    fn parses_the_runbook() {
        let s = parse(RUNBOOK).unwrap();
        assert_eq!(s.len(), 5);
        assert_eq!(s[0].assign_to.as_deref(), Some("user"));
        assert_eq!(s[0].cmdlet, "New-MailUser");
        assert_eq!(s[0].line, 3);
        assert_eq!(
            s[1].params[1],
            ("HiddenFromAddressListsEnabled".into(), Arg::Bool(true))
        );
        assert_eq!(
            s[1].params[0].1,
            Arg::Var("user".into(), Some("Identity".into()))
        );
        let mut vars = HashMap::new();
        vars.insert(
            "user".to_string(),
            json!({"Identity": "contoso.com/Users/SfBOnline-ApplicationAccount"}),
        );
        let p = bind(&s[4], &vars).unwrap();
        assert_eq!(
            p["LinkedAccount"],
            json!("contoso.com/Users/SfBOnline-ApplicationAccount")
        );
        assert_eq!(p["Enabled"], json!(true));
    }

    #[test]
    fn quoting_switches_lists_pipes_and_errors() {
        let s = parse("get-mailbox 'Alice Smith' | fl\nSet-AuthConfig -PublishCertificate -ClearPreviousCertificate:$false").unwrap();
        assert_eq!(s[0].format, Format::List);
        assert_eq!(s[0].positional, vec![Arg::Text("Alice Smith".into())]);
        assert_eq!(
            s[1].params,
            vec![
                ("PublishCertificate".into(), Arg::Bool(true)),
                ("ClearPreviousCertificate".into(), Arg::Bool(false))
            ]
        );
        let l = parse(
            r#"Set-Mailbox bob -EmailAddresses "SMTP:bob@contoso.com","sip:bob@contoso.com""#,
        )
        .unwrap();
        assert_eq!(
            l[0].params[0].1,
            Arg::List(vec![
                Arg::Text("SMTP:bob@contoso.com".into()),
                Arg::Text("sip:bob@contoso.com".into())
            ])
        );
        let c = parse("New-Mailbox -Name `\n  'It''s me' # comment").unwrap();
        assert_eq!(c[0].params[0].1, Arg::Text("It's me".into()));
        assert_eq!(parse("\n\nGet-Mailbox | where Name").unwrap_err().line, 3);
        assert!(parse("Get-Mailbox | where Name -gt 3").is_err());
        assert!(parse("Get-Mailbox | fl | Remove-Mailbox").is_err());
        assert!(parse("Get-Mailbox | ft | Remove-Mailbox").is_err());
        let e = parse("fl").unwrap_err();
        assert!(!e.message.contains("Word("), "{}", e.message);
        assert!(parse("Get-Mailbox | $x = Remove-Mailbox").is_err());
        assert!(parse("Get-Mailbox -Identity 'open").is_err());
        assert!(parse("$x = ").is_err());
        let vars = HashMap::new();
        let st = &parse("Get-Mailbox $nobody").unwrap()[0];
        assert!(bind(st, &vars).unwrap_err().contains("not set"));
    }

    #[test]
    fn read_only_forms_admins_paste() {
        let st = &parse("Get-PartnerApplication | ft").unwrap()[0];
        assert_eq!(st.format, Format::Table);
        let st = &parse("Get-AuthServer | fl Name, Realm").unwrap()[0];
        assert_eq!(st.format, Format::List);
        assert_eq!(
            st.pipeline,
            vec![Stage::Select(vec!["Name".into(), "Realm".into()])]
        );
        let st = &parse("Get-Mailbox | ft -Property Name,Alias").unwrap()[0];
        assert_eq!(st.format, Format::Table);
        assert_eq!(
            st.pipeline,
            vec![Stage::Select(vec!["Name".into(), "Alias".into()])]
        );
        let st = &parse("Get-Mailbox | Select-Object Name, PrimarySmtpAddress | Format-Table")
            .unwrap()[0];
        assert_eq!(
            st.pipeline,
            vec![Stage::Select(vec![
                "Name".into(),
                "PrimarySmtpAddress".into()
            ])]
        );
        assert_eq!(st.format, Format::Table);
        let st = &parse(
            r#"Get-PartnerApplication | ?{ $_.ApplicationIdentifier -eq '00000002-0000-0ff1-ce00-000000000000' -and $_.Realm -eq '' } | Set-PartnerApplication -Enabled $true"#,
        )
        .unwrap()[0];
        let Stage::Where(c) = &st.pipeline[0] else {
            panic!("{:?}", st.pipeline)
        };
        assert_eq!(c.any_of.len(), 1);
        assert_eq!(c.any_of[0].len(), 2);
        assert!(c.keeps(
            &json!({"ApplicationIdentifier": "00000002-0000-0ff1-ce00-000000000000", "Realm": ""})
        ));
        assert!(!c.keeps(
            &json!({"ApplicationIdentifier": "00000002-0000-0ff1-ce00-000000000000", "Realm": "x"})
        ));
        let st = &parse("Get-Mailbox | where Name -eq alice -or Name -eq bob").unwrap()[0];
        let Stage::Where(c) = &st.pipeline[0] else {
            panic!()
        };
        assert!(c.keeps(&json!({"Name": "bob"})) && !c.keeps(&json!({"Name": "carol"})));
        let st = &parse("Get-AuthServer | where Enabled -eq $true").unwrap()[0];
        let Stage::Where(c) = &st.pipeline[0] else {
            panic!()
        };
        assert!(c.keeps(&json!({"Enabled": true})) && !c.keeps(&json!({"Enabled": false})));
        assert!(parse("Get-Mailbox | Select-Object").is_err());
    }
}
