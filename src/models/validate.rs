//! The limits staffdb's own tables declare, for code that shows them (the CLI's help, a form).

/// The most characters (not bytes) a name, position or department name may have: what
/// `Employee` and `Department` declare as `max_chars`.
pub const MAX_TEXT_CHARS: usize = 200;
pub use crate::core::fields::MAX_EMAIL_CHARS;
/// The youngest and oldest age accepted: what `Employee`'s `age` declares as `min` and `max`.
pub const AGE_RANGE: std::ops::RangeInclusive<i32> = 0..=150;

pub use crate::core::fields::parse_date;
