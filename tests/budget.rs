//! The structural budget of HTML pages seen from outside: real pages of the corpus pass it, and
//! a hostile page dropped among good ones is `rejected` with its reason while the others land.

mod common;

use copydesk::text::{read_document, Rejection};

#[test]
fn pages_of_the_corpus_are_within_budget() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(corpora) = std::fs::read_dir(&root) else {
        eprintln!("skipped: no corpus at {}", root.display());
        return;
    };
    // Pages lie one folder down (`page.html` in a folder per page) or two (`*.html`).
    let mut html = Vec::new();
    for corpus in corpora.flatten() {
        for entry in std::fs::read_dir(corpus.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "html") {
                html.push(path);
            } else if path.join("page.html").is_file() {
                html.push(path.join("page.html"));
            }
        }
    }
    let mut pages = 0;
    for path in html {
        let bytes = std::fs::read(&path).expect("a corpus page reads");
        if let Err(Rejection::TooComplex(why)) = read_document("page.html", &bytes) {
            panic!("{} refused: {why}", path.display());
        }
        pages += 1;
    }
    eprintln!("{pages} corpus pages within budget");
}

#[test]
fn a_hostile_page_is_rejected_with_its_reason_and_the_batch_lands() {
    let db = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let flood = dir.path().join("flood.html");
    let attrs: Vec<String> = (0..100_000).map(|i| format!("a{i}=1")).collect();
    let page = format!("<html><body><p {}>story</p></body></html>", attrs.join(" "));
    std::fs::write(&flood, page).expect("write");
    let good = common::seed("000");
    let out = common::ingest(db.path(), &[flood, good]);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0]["status"], "rejected");
    assert_eq!(
        out[0]["reason"],
        "the page is too complex to read: one tag has more than 256 attributes"
    );
    assert_eq!(out[1]["status"], "unique", "{out:?}");
}
