//! The list: filtering by name through the form, sorting by a column header.

use crate::contract as c;
use crate::harness;
use crate::page::Page;
use crate::staffdb::{Db, Server};

/// Searching "ali" keeps the four names containing it (any case, anywhere in the name); the
/// age header sorts them ascending, a second click descending, the filter kept throughout; the
/// position bar's "Developer" narrows them to one, and "All" back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn search_by_name_then_sort_by_age() {
    harness::run("search_and_sort", |client| async move {
        let db = Db::new();
        db.add("Alice", 25, "Manager", &[]);
        db.add("Bob", 22, "Developer", &[]);
        db.add("Khalid", 47, "Developer", &[]);
        db.add("Alicia", 33, "Designer", &[]);
        db.add("Natalia", 29, "Analyst", &[]);
        db.add("Zoe", 61, "Director", &[]);
        let server = Server::start(&db);
        let page = Page::new(client, &server.base);

        page.goto("/").await;
        assert_eq!(page.path().await, c::LIST, "/ leads to the list");
        page.assert_menu().await;
        page.find(c::ROWS_TABLE).await;
        assert_eq!(page.text(c::COUNT).await.trim(), c::count_text(6));
        assert_eq!(
            page.texts(c::CELL_NAME).await,
            ["Alice", "Bob", "Khalid", "Alicia", "Natalia", "Zoe"],
            "unfiltered, the list is by id"
        );

        page.find(c::FILTERS).await;
        page.fill(c::FILTER_SEARCH, "ali").await;
        page.click_and_wait(c::APPLY).await;
        assert_eq!(
            page.url()
                .await
                .query_pairs()
                .find(|(k, _)| k == "q")
                .map(|(_, v)| v.into_owned()),
            Some("ali".to_owned()),
            "the filter form is a GET, so the search is in the URL"
        );
        assert_eq!(
            page.texts(c::CELL_NAME).await,
            ["Alice", "Khalid", "Alicia", "Natalia"],
            "names containing `ali`, by id"
        );
        assert_eq!(page.text(c::COUNT).await.trim(), c::count_text(4));
        assert_eq!(
            page.value(c::FILTER_SEARCH).await,
            "ali",
            "the form shows the search it applied"
        );

        page.click_and_wait(&c::sort_link("age")).await;
        assert_eq!(
            page.texts(c::CELL_NAME).await,
            ["Alice", "Natalia", "Alicia", "Khalid"],
            "sorted by age ascending, the name filter kept"
        );
        assert_eq!(page.texts(c::CELL_AGE).await, ["25", "29", "33", "47"]);
        assert_eq!(page.text(c::COUNT).await.trim(), c::count_text(4));

        page.click_and_wait(&c::sort_link("age")).await;
        assert_eq!(
            page.texts(c::CELL_NAME).await,
            ["Khalid", "Alicia", "Natalia", "Alice"],
            "a second click on the age header sorts descending"
        );
        assert_eq!(page.texts(c::CELL_AGE).await, ["47", "33", "29", "25"]);
        assert_eq!(
            page.texts(c::CELL_POSITION).await,
            ["Developer", "Designer", "Analyst", "Manager"],
            "each row's cells belong together"
        );

        // Six positions are a small enumeration: a bar of links, each keeping the search and
        // the sort.
        page.click_text_and_wait(c::POSITION_CHOICES, "Developer")
            .await;
        assert_eq!(page.texts(c::CELL_NAME).await, ["Khalid"]);
        assert_eq!(page.text(c::COUNT).await.trim(), c::count_text(1));
        page.click_text_and_wait(c::POSITION_CHOICES, "All").await;
        assert_eq!(
            page.texts(c::CELL_NAME).await,
            ["Khalid", "Alicia", "Natalia", "Alice"],
            "\"All\" drops only the position"
        );
    })
    .await;
}
