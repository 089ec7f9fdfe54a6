//! Field rules, checked before anything touches the database.

use chrono::NaiveDate;

use crate::{Error, Result};

/// The most characters (not bytes) a name, position or department name may have.
pub const MAX_TEXT_CHARS: usize = 200;
/// The most characters an email address may have.
pub const MAX_EMAIL_CHARS: usize = 254;
/// The youngest and oldest age accepted.
pub const AGE_RANGE: std::ops::RangeInclusive<i32> = 0..=150;

/// A name or position: not blank, at most [`MAX_TEXT_CHARS`] characters, no control characters.
pub fn text(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::validation(field, "must not be empty or blank"));
    }
    let chars = value.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(Error::validation(
            field,
            format!("must be at most {MAX_TEXT_CHARS} characters (it has {chars})"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::validation(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// An age within [`AGE_RANGE`].
pub fn age(age: i32) -> Result<()> {
    if AGE_RANGE.contains(&age) {
        Ok(())
    } else {
        Err(Error::validation(
            "age",
            format!(
                "must be between {} and {} (got {age})",
                AGE_RANGE.start(),
                AGE_RANGE.end()
            ),
        ))
    }
}

/// A well-formed email address (`local@domain.tld`); returns it lowercased, as it is stored.
pub fn email(value: &str) -> Result<String> {
    let invalid = |reason: &str| Error::validation("email", format!("`{value}` {reason}"));
    let chars = value.chars().count();
    if chars > MAX_EMAIL_CHARS {
        return Err(invalid(&format!(
            "is too long ({chars} characters, at most {MAX_EMAIL_CHARS})"
        )));
    }
    let Some((local, domain)) = value.split_once('@') else {
        return Err(invalid("is not an email address: it has no `@`"));
    };
    if local.is_empty() || local.chars().count() > 64 {
        return Err(invalid("needs 1 to 64 characters before the `@`"));
    }
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "@<>()[]\\,;:\"".contains(c);
    if local.chars().any(bad_char) || local.starts_with('.') || local.ends_with('.') {
        return Err(invalid("has characters not allowed before the `@`"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.chars().count() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(invalid(
            "has no valid domain after the `@` (like example.com)",
        ));
    }
    Ok(value.to_lowercase())
}

/// Parses a calendar date written `YYYY-MM-DD`, refusing dates that do not exist.
///
/// ```
/// use staffdb::parse_date;
///
/// assert!(parse_date("2024-02-29").is_ok());
/// assert!(parse_date("2023-02-29").is_err());
/// assert!(parse_date("29/02/2024").is_err());
/// ```
pub fn parse_date(value: &str) -> Result<NaiveDate> {
    let well_shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_shaped {
        return Err(Error::validation(
            "date",
            format!("`{value}` is not a date written YYYY-MM-DD"),
        ));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| Error::validation("date", format!("`{value}` is not a real calendar date")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blank, over-long and control-character text is refused; 200 non-ASCII characters pass.
    #[test]
    fn text_rules_count_characters() {
        assert!(text("name", "Zoë O'Brien; DROP TABLE").is_ok());
        assert!(text("name", &"é".repeat(200)).is_ok());
        assert!(text("name", &"é".repeat(201)).is_err());
        assert!(text("name", "   ").is_err());
        assert!(text("name", "").is_err());
        assert!(text("name", "a\tb").is_err());
        assert!(text("name", "a\u{7}").is_err());
    }

    /// Ages outside 0..=150 are refused.
    #[test]
    fn age_bounds() {
        assert!(age(0).is_ok() && age(150).is_ok());
        assert!(age(-1).is_err() && age(151).is_err());
    }

    /// Emails are checked for shape and lowercased.
    #[test]
    fn email_shapes() {
        assert_eq!(
            email("Alice.Smith@Example.COM").ok().as_deref(),
            Some("alice.smith@example.com")
        );
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a b@example.com",
            "a@b@c.com",
            "alice@-x.com",
            "alice@example..com",
        ] {
            assert!(email(bad).is_err(), "{bad} should be refused");
        }
    }
}
