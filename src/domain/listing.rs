//! Pagination and sorting shared by every list endpoint.

use crate::error::Error;

/// Largest allowed `perPage`.
pub const MAX_PER_PAGE: u32 = 100;
/// `perPage` when the client gives none.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// Largest allowed `page`.
pub const MAX_PAGE: u32 = 1_000_000;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u32,
    /// Items per page, 1..=100.
    pub per_page: u32,
}

impl PageRequest {
    /// Applies the defaults and refuses out-of-range values.
    pub fn parse(page: Option<u32>, per_page: Option<u32>) -> Result<Self, Error> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(Error::invalid("page", "page must be between 1 and 1000000"));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(Error::invalid(
                "perPage",
                "perPage must be between 1 and 100",
            ));
        }
        Ok(Self { page, per_page })
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        (i64::from(self.page) - 1) * i64::from(self.per_page)
    }

    /// Rows to return.
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Smallest first.
    Asc,
    /// Largest first (the default).
    #[default]
    Desc,
}

impl SortOrder {
    /// Parses `asc` / `desc`.
    pub fn parse(raw: Option<&str>) -> Result<Self, Error> {
        match raw {
            None => Ok(Self::Desc),
            Some(value) if value.eq_ignore_ascii_case("asc") => Ok(Self::Asc),
            Some(value) if value.eq_ignore_ascii_case("desc") => Ok(Self::Desc),
            Some(_) => Err(Error::invalid("order", "order must be asc or desc")),
        }
    }

    /// The SQL keyword.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
    }
}

/// One page of results plus the total count matching the filters.
#[derive(Debug)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_bounds_are_enforced() {
        assert_eq!(
            PageRequest::parse(None, None).unwrap(),
            PageRequest {
                page: 1,
                per_page: 20
            }
        );
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(MAX_PAGE + 1), None).is_err());
        assert!(PageRequest::parse(None, Some(0)).is_err());
        assert!(PageRequest::parse(None, Some(101)).is_err());
        assert_eq!(PageRequest::parse(Some(3), Some(10)).unwrap().offset(), 20);
    }

    #[test]
    fn order_defaults_to_desc_and_refuses_other_words() {
        assert_eq!(SortOrder::parse(None).unwrap(), SortOrder::Desc);
        assert_eq!(SortOrder::parse(Some("ASC")).unwrap(), SortOrder::Asc);
        assert!(SortOrder::parse(Some("up")).is_err());
    }
}
