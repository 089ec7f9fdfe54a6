//! The statistics page: head count and ages per position or department, as a table and a bar
//! chart drawn on the server (SVG, no script).

use super::acting::Db;
use crate::{Database, Employee, GroupBy, GroupStats};
use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::html::{Chrome, error_page, off_thread, respond};

/// `GET /stats?by=position|department`.
pub(crate) fn routes() -> Router<Database> {
    Router::new().route("/stats", get(stats))
}

#[derive(Debug, Deserialize)]
struct StatsQuery {
    by: Option<String>,
}

async fn stats(Db(db): Db, chrome: Chrome, Query(query): Query<StatsQuery>) -> Response {
    let (by, by_name) = match query.by.as_deref() {
        None | Some("position") => (GroupBy::Position, "position"),
        Some("department") => (GroupBy::Department, "department"),
        Some(_) => {
            let body = html! { p.error { "Group by position or department." } };
            return respond(StatusCode::BAD_REQUEST, chrome.page("Statistics", body));
        }
    };
    match off_thread(db, move |db| Employee::stats(&mut db.read_session()?, by)).await {
        Ok(groups) => {
            let body = html! {
                p.toolbar {
                    "Group by: "
                    @for name in ["position", "department"] {
                        @if name == by_name { strong { (name) } }
                        @else { a href=(format!("/stats?by={name}")) { (name) } }
                        " "
                    }
                }
                (chart(&groups))
                (table(by_name, &groups))
            };
            respond(StatusCode::OK, chrome.page("Statistics", body))
        }
        Err(error) => error_page(&chrome, error),
    }
}

/// The group's label: employees without a department form a group of their own.
fn label(group: &GroupStats) -> &str {
    group.group.as_deref().unwrap_or("(none)")
}

/// One horizontal bar per group, as long as its head count is to the largest.
fn chart(groups: &[GroupStats]) -> Markup {
    const BAR: i64 = 24;
    const LABELS: i64 = 180;
    const WIDTH: i64 = 720;
    let most = groups.iter().map(|g| g.count).max().unwrap_or(1).max(1);
    let height = BAR * groups.len() as i64 + 8;
    html! {
        svg #chart xmlns="http://www.w3.org/2000/svg" role="img" width=(WIDTH) height=(height)
            viewBox=(format!("0 0 {WIDTH} {height}")) {
            title { "Head count per group" }
            @for (i, group) in groups.iter().enumerate() {
                @let y = i as i64 * BAR + 4;
                @let length = (WIDTH - LABELS - 60) * group.count / most;
                text x=(LABELS - 8) y=(y + 16) text-anchor="end" font-size="13" { (label(group)) }
                rect.bar x=(LABELS) y=(y) width=(length.max(1)) height=(BAR - 6) fill="#3b6ea5" {}
                text x=(LABELS + length + 6) y=(y + 16) font-size="13" { (group.count) }
            }
        }
    }
}

fn table(by: &str, groups: &[GroupStats]) -> Markup {
    html! {
        table #stats {
            thead { tr { th { (by) } th { "count" } th { "average age" } th { "youngest" } th { "oldest" } } }
            tbody {
                @for group in groups {
                    tr {
                        td { (label(group)) }
                        td { (group.count) }
                        td { (format!("{:.1}", group.average_age)) }
                        td { (group.min_age) }
                        td { (group.max_age) }
                    }
                }
            }
        }
    }
}
