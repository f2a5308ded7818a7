//! Paging through a read model (or a category of streams) in id order: the cursor is the last id
//! of the previous page, so a page costs one index range however deep it is.

use serde::Serialize;
use uuid::Uuid;

/// Where a page starts and how many items it holds.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    /// The last id of the previous page (`next_cursor`); `None` for the first.
    pub cursor: Option<Uuid>,
    /// Items per page.
    pub limit: i64,
}

impl PageRequest {
    /// What a query asks the database for: one row more than the page, which says there is more.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

/// A page of a list.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// Items, in id order.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent (null) on the last.
    pub next_cursor: Option<Uuid>,
}

impl<T> Page<T> {
    /// A page from up to `request.fetch()` rows fetched in id order, each with its id.
    pub fn of(mut rows: Vec<(Uuid, T)>, request: PageRequest) -> Page<T> {
        let limit = usize::try_from(request.limit).unwrap_or_default();
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|(id, _)| *id)
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(|(_, item)| item).collect(),
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_with_one_row_too_many_points_at_its_last_item() {
        let ids: Vec<Uuid> = (1..=3u128).map(Uuid::from_u128).collect();
        let rows: Vec<(Uuid, u128)> = ids.iter().map(|id| (*id, id.as_u128())).collect();
        let page = Page::of(rows.clone(), PageRequest { cursor: None, limit: 2 });
        assert_eq!(page.items, [1, 2]);
        assert_eq!(page.next_cursor, Some(ids[1]));
        let last = Page::of(rows, PageRequest { cursor: None, limit: 3 });
        assert_eq!(last.items, [1, 2, 3]);
        assert_eq!(last.next_cursor, None);
    }
}
