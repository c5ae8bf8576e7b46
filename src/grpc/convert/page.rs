//! Pagination: a list request's page size and opaque page token (bound to the listing
//! that issued it), and collecting one page with the next token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::grpc::error::ApiError;

type Result<T> = std::result::Result<T, ApiError>;

/// Largest page a list call returns.
pub const MAX_PAGE_SIZE: usize = 1000;
/// Page size when the caller sets none.
pub const DEFAULT_PAGE_SIZE: usize = 50;

/// A list request's page: how many, and the key after which to start.
#[derive(Debug)]
pub struct Page {
    /// Items to return at most.
    pub size: usize,
    /// The key of the last item of the previous page; empty for the first page.
    pub after: String,
    /// What is being listed (the collection and its parent); a token is only valid for
    /// the listing that issued it.
    scope: String,
}

/// Parses page_size and page_token for the listing `scope` (e.g. `accounts`, or
/// `contracts:accounts/acme`). Tokens are opaque to clients: the scope and the last key
/// returned, encoded; a token from another listing is INVALID_ARGUMENT.
pub fn page(page_size: i32, page_token: &str, scope: &str) -> Result<Page> {
    let size = match page_size {
        n if n < 0 => return Err(ApiError::field("page_size", "must not be negative")),
        0 => DEFAULT_PAGE_SIZE,
        n => (n as usize).min(MAX_PAGE_SIZE),
    };
    let after = if page_token.is_empty() {
        String::new()
    } else {
        URL_SAFE_NO_PAD
            .decode(page_token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                let (token_scope, key) = s.split_once('\n')?;
                (token_scope == scope).then(|| key.to_owned())
            })
            .ok_or_else(|| {
                ApiError::field(
                    "page_token",
                    "is not a token this service issued for this listing",
                )
            })?
    };
    Ok(Page {
        size,
        after,
        scope: scope.to_owned(),
    })
}

impl Page {
    /// The token of the page that starts after `key`.
    pub fn token_after(&self, key: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}\n{key}", self.scope))
    }
}

/// Collects one page from an iterator of (key, item) in key order after `page.after`,
/// returning the items and the next page token.
pub fn paginate<T>(page: &Page, items: impl Iterator<Item = (String, T)>) -> (Vec<T>, String) {
    let mut out = Vec::new();
    let mut last = String::new();
    let mut more = false;
    for (key, item) in items {
        if out.len() == page.size {
            more = true;
            break;
        }
        last = key;
        out.push(item);
    }
    let token = if more {
        page.token_after(&last)
    } else {
        String::new()
    };
    (out, token)
}
