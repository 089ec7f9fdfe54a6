//! The employee form: a refused field shown beside its input, and two tabs saving one row.

use crate::contract as c;
use crate::harness;
use crate::page::Page;
use crate::staffdb::{Db, Server};

/// An age of 151 is refused beside the age field with every other typed value kept; age 41
/// then saves, and the new row is listed and stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_refused_age_is_shown_beside_its_field_and_the_rest_is_kept() {
    harness::run("add_refused_then_saved", |client| async move {
        let db = Db::new();
        db.add("Alice", 25, "Manager", &["--department", "Engineering"]);
        let before = db.employees().len();
        let server = Server::start(&db);
        let page = Page::new(client, &server.base);

        page.goto(c::LIST).await;
        page.click_and_wait(c::ADD_LINK).await;
        assert_eq!(page.path().await, c::NEW, "a#add leads to the form");
        page.assert_menu().await;
        page.find(c::RECORD).await;
        assert!(
            !page.value(c::FIELD_CSRF).await.is_empty(),
            "the form carries a CSRF token"
        );
        page.fill(c::FIELD_NAME, "Dana Scully").await;
        page.fill(c::FIELD_AGE, "151").await;
        page.fill(c::FIELD_POSITION, "Agent").await;
        page.fill(c::FIELD_EMAIL, "dana@example.com").await;
        let engineering = page.choose(c::DEPARTMENT_OPTIONS, "Engineering").await;
        page.set_value(c::FIELD_HIRED_ON, "2024-03-01").await;
        page.click_and_wait(c::SAVE).await;

        let error = page.text(&c::field_error("age")).await;
        assert!(
            error.contains(c::AGE_RANGE_TEXT),
            "the age error says `{error}`"
        );
        for field in ["name", "position", "email"] {
            assert!(
                !page.has(&c::field_error(field)).await,
                "an error beside `{field}`, which was valid"
            );
        }
        assert_eq!(page.value(c::FIELD_NAME).await, "Dana Scully");
        assert_eq!(page.value(c::FIELD_AGE).await, "151");
        assert_eq!(page.value(c::FIELD_POSITION).await, "Agent");
        assert_eq!(page.value(c::FIELD_EMAIL).await, "dana@example.com");
        assert_eq!(page.value(c::FIELD_DEPARTMENT).await, engineering);
        assert_eq!(page.value(c::FIELD_HIRED_ON).await, "2024-03-01");
        assert_eq!(
            db.employees().len(),
            before,
            "nothing stored after a refusal"
        );

        page.fill(c::FIELD_AGE, "41").await;
        page.click_and_wait(c::SAVE).await;
        assert_eq!(page.path().await, c::LIST, "a save leads back to the list");
        let rows = db.employees();
        assert_eq!(rows.len(), before + 1);
        let dana = rows.last().expect("the new row").clone();
        let id = dana["id"].as_i64().expect("an id");
        assert_eq!(page.text(c::MESSAGE).await.trim(), c::saved_text(id));
        page.find(&c::row(id)).await;
        assert_eq!(page.text(&c::cell(id, "name")).await, "Dana Scully");
        assert_eq!(page.text(&c::cell(id, "age")).await, "41");
        assert_eq!(page.text(&c::cell(id, "position")).await, "Agent");
        assert_eq!(dana["name"], "Dana Scully");
        assert_eq!(dana["age"], 41);
        assert_eq!(dana["email"], "dana@example.com");
        assert_eq!(dana["department"], "Engineering");
        assert_eq!(dana["hired_on"], "2024-03-01");
    })
    .await;
}

/// Two tabs open one row; the first saves; the second's save is refused with the first's value
/// shown and the row unchanged; saving the second again, now knowingly, overwrites.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn a_stale_form_is_refused_with_the_current_values() {
    harness::run("edit_conflict", |client| async move {
        let db = Db::new();
        let id = db.add("Alice", 25, "Manager", &[]);
        let server = Server::start(&db);
        let page = Page::new(client.clone(), &server.base);

        let first = client.window().await.expect("the first tab");
        page.goto(&c::edit(id)).await;
        let opened_version = page.value(c::FIELD_VERSION).await;
        assert_eq!(page.value(c::FIELD_POSITION).await, "Manager");
        let second = client.new_window(true).await.expect("a second tab").handle;
        client
            .switch_to_window(second.clone())
            .await
            .expect("to the second tab");
        page.goto(&c::edit(id)).await;
        assert_eq!(page.value(c::FIELD_VERSION).await, opened_version);

        client
            .switch_to_window(first)
            .await
            .expect("to the first tab");
        page.fill(c::FIELD_POSITION, "Director").await;
        page.click_and_wait(c::SAVE).await;
        assert_eq!(page.path().await, c::LIST);
        assert_eq!(page.text(c::MESSAGE).await.trim(), c::saved_text(id));
        assert_eq!(db.employee(id)["position"], "Director");

        client
            .switch_to_window(second)
            .await
            .expect("back to the second tab");
        page.fill(c::FIELD_AGE, "30").await;
        page.fill(c::FIELD_POSITION, "Intern").await;
        page.click_and_wait(c::SAVE).await;
        let conflict = page.text(c::CONFLICT).await;
        assert!(
            conflict.contains(c::CONFLICT_TEXT),
            "the conflict notice says `{conflict}`"
        );
        assert!(
            conflict.contains("Director"),
            "the conflict notice does not show the stored position: `{conflict}`"
        );
        let stored = db.employee(id);
        assert_eq!(stored["position"], "Director", "the first save is kept");
        assert_eq!(stored["age"], 25, "nothing of the stale save is stored");
        assert_eq!(
            page.value(c::FIELD_POSITION).await,
            "Director",
            "the form is re-filled with the current values"
        );
        assert_eq!(page.value(c::FIELD_AGE).await, "25");
        let current_version = page.value(c::FIELD_VERSION).await;
        assert_eq!(current_version, stored["version"].to_string());
        assert_ne!(current_version, opened_version);

        page.fill(c::FIELD_POSITION, "Intern").await;
        page.click_and_wait(c::SAVE).await;
        assert_eq!(
            page.path().await,
            c::LIST,
            "a save after seeing the conflict goes through"
        );
        assert_eq!(page.text(c::MESSAGE).await.trim(), c::saved_text(id));
        assert_eq!(db.employee(id)["position"], "Intern");
    })
    .await;
}
