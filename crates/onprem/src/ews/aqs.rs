//! FindItem's QueryString: the part of Advanced Query Syntax that mail clients send, as a
//! mailbox restriction. Terms are words or quoted phrases, optionally behind a property
//! (`Subject:`, `From:`, `To:`, `Cc:`, `Bcc:`, `Participants:`, `Body:`, `Category:`); terms
//! side by side must all hold; `AND`, `OR`, `NOT` and parentheses combine them (NOT binds
//! tightest, then AND, then OR). A bare term is looked for in the subject, the body and the
//! sender and recipients, and so is a term whose "property" is none of these (`ab:cd` is text).
//! Text matches case-insensitively, anywhere in the property.

use mailbox::{Containment, Field, MailboxError, Restriction};

/// The longest query string read.
const MAX_QUERY: usize = 4096;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// A term: the property it names (if any) and its text.
    Term(Option<String>, String),
}

fn tokens(query: &str) -> Result<Vec<Token>, MailboxError> {
    if query.len() > MAX_QUERY {
        return Err(MailboxError::InvalidRequest(format!(
            "The query string is longer than {MAX_QUERY} characters."
        )));
    }
    let mut out = Vec::new();
    let mut chars = query.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            _ => {
                let word = read_word(&mut chars);
                out.push(match word.as_str() {
                    "AND" => Token::And,
                    "OR" => Token::Or,
                    "NOT" => Token::Not,
                    _ => match word.split_once(':') {
                        Some((p, v)) if !p.is_empty() && !p.contains('"') => {
                            let v = if v.is_empty() {
                                read_word(&mut chars)
                            } else {
                                v.to_string()
                            };
                            Token::Term(Some(p.to_ascii_lowercase()), unquote(&v))
                        }
                        _ => Token::Term(None, unquote(&word)),
                    },
                });
            }
        }
    }
    Ok(out)
}

/// A word up to whitespace or a parenthesis, with quoted parts kept whole.
fn read_word(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut word = String::new();
    let mut quoted = false;
    while let Some(&c) = chars.peek() {
        if !quoted && (c.is_whitespace() || c == '(' || c == ')') {
            break;
        }
        if c == '"' {
            quoted = !quoted;
        }
        word.push(c);
        chars.next();
    }
    word
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').to_string()
}

fn contains(field: Field, value: &str) -> Restriction {
    Restriction::Contains {
        field,
        mode: Containment::Substring,
        ignore_case: true,
        value: value.to_string(),
    }
}

fn kept(element: &str) -> Field {
    Field::Extended {
        key: mailbox::field_key(element),
        numeric: false,
    }
}

fn term(property: Option<&str>, value: &str) -> Result<Restriction, MailboxError> {
    let people =
        |lists: &[&str]| Restriction::Or(lists.iter().map(|l| contains(kept(l), value)).collect());
    Ok(match property {
        None => Restriction::Or(vec![
            contains(Field::Subject, value),
            contains(Field::Body, value),
            people(&["From", "ToRecipients", "CcRecipients"]),
        ]),
        Some("subject") => contains(Field::Subject, value),
        Some("body") => contains(Field::Body, value),
        Some("from") => people(&["From", "Sender"]),
        Some("to") => people(&["ToRecipients"]),
        Some("cc") => people(&["CcRecipients"]),
        Some("bcc") => people(&["BccRecipients"]),
        Some("participants") => people(&["From", "ToRecipients", "CcRecipients"]),
        Some("category" | "categories") => contains(
            Field::Extended {
                key: mailbox::CATEGORIES_KEY.into(),
                numeric: false,
            },
            value,
        ),
        // Not a property AQS knows: the whole term is text, colon and all.
        Some(other) => return term(None, &format!("{other}:{value}")),
    })
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Restriction, MailboxError> {
        let mut any = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            any.push(self.and()?);
        }
        Ok(if any.len() == 1 {
            any.remove(0)
        } else {
            Restriction::Or(any)
        })
    }

    fn and(&mut self) -> Result<Restriction, MailboxError> {
        let mut all = vec![self.not()?];
        loop {
            match self.peek() {
                Some(Token::And) => self.at += 1,
                Some(Token::Term(..) | Token::Not | Token::Open) => {}
                _ => break,
            }
            all.push(self.not()?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Restriction::And(all)
        })
    }

    fn not(&mut self) -> Result<Restriction, MailboxError> {
        if self.peek() == Some(&Token::Not) {
            self.at += 1;
            return Ok(Restriction::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Restriction, MailboxError> {
        let bad = |why: &str| {
            MailboxError::InvalidRequest(format!("The query string is not valid: {why}."))
        };
        match self.tokens.get(self.at).cloned() {
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(bad("a parenthesis is not closed"));
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Term(p, v)) => {
                self.at += 1;
                term(p.as_deref(), &v)
            }
            _ => Err(bad("a term is missing")),
        }
    }
}

/// The restriction a query string stands for.
pub fn restriction(query: &str) -> Result<Restriction, MailboxError> {
    let mut p = Parser {
        tokens: tokens(query)?,
        at: 0,
    };
    let r = p.or()?;
    if p.at != p.tokens.len() {
        return Err(MailboxError::InvalidRequest(
            "The query string is not valid: something follows its end.".into(),
        ));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_words_phrases_and_operators() {
        let r = restriction(r#"To:"Bob Jones" AND Subject:lunch"#).unwrap();
        let Restriction::And(all) = &r else {
            panic!("{r:?}")
        };
        assert_eq!(all.len(), 2);
        assert_eq!(all[1], contains(Field::Subject, "lunch"));
        let Restriction::Or(to) = &all[0] else {
            panic!("{r:?}")
        };
        assert_eq!(to, &vec![contains(kept("ToRecipients"), "Bob Jones")]);
        // Side by side means AND; NOT binds tighter than OR.
        let r = restriction("subject:a subject:b OR NOT subject:c").unwrap();
        assert_eq!(
            r,
            Restriction::Or(vec![
                Restriction::And(vec![
                    contains(Field::Subject, "a"),
                    contains(Field::Subject, "b")
                ]),
                Restriction::Not(Box::new(contains(Field::Subject, "c"))),
            ])
        );
        assert!(restriction("(subject:a").is_err());
        // An unknown property is text ("ab:cd" in a subject).
        let Restriction::Or(any) = restriction("ab:cd").unwrap() else {
            panic!()
        };
        assert_eq!(any[0], contains(Field::Subject, "ab:cd"));
        assert!(restriction(&"x ".repeat(3000)).is_err());
    }
}
