//! Field rules, checked before anything touches the database.

use crate::{Error, Result};

/// The most characters (not bytes) a name, position or department name may have.
pub const MAX_TEXT_CHARS: usize = 200;
pub use crate::core::fields::MAX_EMAIL_CHARS;
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
    crate::core::fields::email("email", value)
}

pub use crate::core::fields::parse_date;

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
