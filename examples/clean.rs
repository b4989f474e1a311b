//! Prints how copydesk reads and cleans one file: every block, its word count, link density and
//! whether it was kept as story. For tuning the cleaner by eye: `cargo run --example clean FILE`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: clean FILE")?;
    let bytes = std::fs::read(&path)?;
    let doc = copydesk::text::read_document(&path, &bytes)?;
    let cleaned = copydesk::text::clean::clean(&doc, &|_| false);
    println!("title: {}", cleaned.title);
    for (block, info) in doc.blocks.iter().zip(&cleaned.blocks) {
        let text: String = copydesk::text::sanitize::sanitize_line(&block.text)
            .chars()
            .take(90)
            .collect();
        let mark = if info.kept { '+' } else { ' ' };
        println!(
            "{mark} {:>4}w {:.2} {:?} {text}",
            info.words, block.link_density, block.kind
        );
    }
    Ok(())
}
