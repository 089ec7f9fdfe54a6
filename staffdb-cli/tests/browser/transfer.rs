//! The import page and the export download.

use crate::contract as c;
use crate::harness;
use crate::page::Page;
use crate::staffdb::{Db, Server};

/// A CSV file whose line 3 has age 151: the page names the line and the field, and nothing of
/// the file is stored; the same file without the bad line then imports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn an_import_with_a_bad_line_names_it_and_imports_nothing() {
    harness::run("import_bad_line", |client| async move {
        let db = Db::new();
        db.add("Alice", 25, "Manager", &[]);
        db.add("Bob", 22, "Developer", &[]);
        let bad = db.write_file(
            "people.csv",
            "name,age,position,email,department,hired_on\n\
             Carol,41,Engineer,carol@example.com,Research,2021-05-17\n\
             Dave,151,Engineer,dave@example.com,,\n\
             Erin,38,Analyst,,,\n",
        );
        let server = Server::start(&db);
        let page = Page::new(client, &server.base);

        page.goto(c::IMPORT).await;
        page.assert_menu().await;
        page.find(c::IMPORT_FORM).await;
        page.find(c::IMPORT_FILE)
            .await
            .send_keys(&bad.display().to_string())
            .await
            .expect("choose the file");
        page.click_and_wait(c::IMPORT_SUBMIT).await;
        let error = page.text(c::IMPORT_ERROR).await;
        assert!(error.contains("line 3"), "the import error says `{error}`");
        assert!(error.contains("age"), "the import error says `{error}`");
        assert!(
            error.contains(c::NOTHING_IMPORTED_TEXT),
            "the import error says `{error}`"
        );
        assert!(
            !page.has(c::MESSAGE).await,
            "a success message beside the error"
        );
        assert_eq!(db.employees().len(), 2, "nothing was imported");
        page.goto(c::LIST).await;
        assert_eq!(page.text(c::COUNT).await.trim(), c::count_text(2));

        let good = db.write_file(
            "fixed.csv",
            "name,age,position,email,department,hired_on\n\
             Carol,41,Engineer,carol@example.com,Research,2021-05-17\n\
             Erin,38,Analyst,,,\n",
        );
        page.goto(c::IMPORT).await;
        page.find(c::IMPORT_FILE)
            .await
            .send_keys(&good.display().to_string())
            .await
            .expect("choose the file");
        page.click_and_wait(c::IMPORT_SUBMIT).await;
        assert!(
            !page.has(c::IMPORT_ERROR).await,
            "the fixed file was refused"
        );
        assert_eq!(page.text(c::MESSAGE).await.trim(), c::imported_text(2, 0));
        let names: Vec<_> = db.employees().iter().map(|e| e["name"].clone()).collect();
        assert_eq!(names, ["Alice", "Bob", "Carol", "Erin"]);
    })
    .await;
}

/// The list's CSV link downloads exactly the bytes `staffdb export` writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: cargo test --test browser -- --ignored"]
async fn the_csv_download_is_what_staffdb_export_writes() {
    harness::run("export_csv", |client| async move {
        let db = Db::new();
        db.add(
            "Alice",
            25,
            "Manager",
            &["--email", "alice@example.com", "--department", "Sales"],
        );
        db.add("O'Brien, \"Pat\"", 52, "Chief, Operations", &[]);
        db.add(
            "Zoë Ångström",
            30,
            "Developer",
            &["--hired-on", "2020-02-29"],
        );
        let server = Server::start(&db);
        let page = Page::new(client, &server.base);

        page.goto(c::LIST).await;
        let href = page
            .attr(c::EXPORT_CSV_LINK, "href")
            .await
            .expect("a#export-csv has an href");
        let url = page.url().await.join(&href).expect("a URL");
        assert_eq!(
            &url[url::Position::BeforePath..],
            c::EXPORT_CSV,
            "the CSV link leads to the export"
        );
        let response = ureq::get(url.as_str()).call().expect("the download");
        let mut downloaded = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut downloaded)
            .expect("the download's bytes");
        let exported = db.staffdb(&["export"]);
        assert_eq!(
            String::from_utf8_lossy(&exported).lines().count(),
            4,
            "staffdb export wrote a header and three rows: {}",
            String::from_utf8_lossy(&exported)
        );
        assert_eq!(
            String::from_utf8_lossy(&downloaded),
            String::from_utf8_lossy(&exported),
            "the download differs from staffdb export"
        );
        assert_eq!(downloaded, exported, "the same text, different bytes");
    })
    .await;
}
