//! Asking, between steps of reading one file, whether to go on: the caller's time budget may be
//! spent, or the process may be stopping. The text module reads no clock and sees no signal; it
//! only asks an [`Interrupt`] the caller passes in, at points that bound the work in between
//! (between stages, between chunks of markup fed to the parser, every few thousand steps of a
//! walk). Must not read clocks or decide anything itself.

use super::Rejection;

/// Says whether reading may go on; an `Err` is why not, and reading ends with it.
pub trait Interrupt: Sync {
    fn check(&self) -> Result<(), Rejection>;
}

/// Never interrupts: a reading that runs to its end (tests, benchmarks, the evaluation).
#[derive(Debug, Clone, Copy, Default)]
pub struct Uninterrupted;

impl Interrupt for Uninterrupted {
    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }
}

/// Steps of a loop between two checks: a check costs a clock read, a step far less.
pub(crate) const STEPS_PER_CHECK: usize = 4096;

/// Checks every [`STEPS_PER_CHECK`] steps of a loop (step 0 included).
pub(crate) fn every(step: usize, halt: &dyn Interrupt) -> Result<(), Rejection> {
    if step % STEPS_PER_CHECK == 0 {
        halt.check()
    } else {
        Ok(())
    }
}

/// Bytes of markup fed to the parser between two checks. The structural budget bounds what one
/// chunk can cost (attributes on a tag, nesting), so the time between checks stays short.
pub(crate) const CHUNK_BYTES: usize = 16 * 1024;

/// `text` in pieces of about `max` bytes, each cut between characters.
pub(crate) fn chunks(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut cut = max.max(1).min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (piece, after) = rest.split_at(cut);
        rest = after;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Lets `left` checks pass, then says stop.
    struct After {
        left: AtomicUsize,
    }

    impl Interrupt for After {
        fn check(&self) -> Result<(), Rejection> {
            match self
                .left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            {
                Ok(_) => Ok(()),
                Err(_) => Err(Rejection::Stopped),
            }
        }
    }

    #[test]
    fn chunks_cover_the_text_and_cut_between_characters() {
        let text = "aé€😀".repeat(1000);
        for max in [1, 2, 3, 5, 7, 100, 100_000] {
            let pieces: Vec<&str> = chunks(&text, max).collect();
            assert_eq!(pieces.concat(), text, "{max}");
            assert!(pieces.iter().all(|p| !p.is_empty()));
            assert!(pieces.iter().all(|p| p.len() < max + 4), "{max}");
        }
        assert_eq!(chunks("", 10).count(), 0);
    }

    #[test]
    fn a_check_that_says_stop_ends_the_reading_of_a_page_at_any_point() {
        // A page of many chunks and blocks: whichever check says stop first, the reading ends
        // with its reason, never a document.
        let page = format!(
            "<html><body>{}</body></html>",
            "<div><p>Some words of a paragraph here.</p></div>".repeat(4000)
        );
        for left in [0, 1, 2, 5, 9, 14] {
            let halt = After {
                left: AtomicUsize::new(left),
            };
            assert_eq!(
                crate::text::read_document_within("p.html", page.as_bytes(), &halt),
                Err(Rejection::Stopped),
                "{left}"
            );
        }
        let whole = crate::text::read_document_within("p.html", page.as_bytes(), &Uninterrupted)
            .expect("reads");
        assert_eq!(
            whole,
            crate::text::read_document("p.html", page.as_bytes()).expect("reads")
        );
        assert_eq!(whole.blocks.len(), 4000);
    }
}
