//! `Buckets`' unit tests: blocks, grown directories, interpolated tag runs, all against scans.

use super::*;

#[test]
fn blocks_grow_without_moving_and_read_across_their_ends() {
    let mut b: Blocks<u32> = Blocks::default();
    b.grow_to(BLOCK - 2);
    let first = b.blocks[0].as_ptr();
    b.grow_to(2 * BLOCK + 3);
    assert_eq!(b.blocks[0].as_ptr(), first, "the first block did not move");
    for i in 0..b.len() {
        b[i] = i as u32;
    }
    let across: Vec<u32> = (BLOCK as u32 - 3..BLOCK as u32 + 4).collect();
    assert_eq!(&*b.range(BLOCK - 3..BLOCK + 4), &across[..]);
    assert!(matches!(b.range(5..9), Cow::Borrowed(_)));
}

proptest::proptest! {
    #[test]
    fn a_tag_run_is_what_a_scan_finds(
        mut tags in proptest::collection::vec(proptest::prelude::any::<u16>(), 0..600),
        skew in 0u32..3,
        probes in proptest::collection::vec(proptest::prelude::any::<u16>(), 1..20),
    ) {
        // Uniform tags, tags crowded into a narrow range, and long runs of a few tags.
        for t in &mut tags {
            *t = match skew { 0 => *t, 1 => 30_000 + *t % 64, _ => *t % 3 * 1_000 };
        }
        tags.sort_unstable();
        let present: Vec<u16> = tags.iter().step_by(7).copied().collect();
        for &tag in probes.iter().chain(&present).chain(&[0, u16::MAX]) {
            let start = tags.iter().filter(|&&t| t < tag).count();
            let len = tags.iter().filter(|&&t| t == tag).count();
            proptest::prop_assert_eq!(tag_run(&tags, tag), start..start + len, "tag {}", tag);
        }
    }
}

#[test]
fn a_tagged_directory_grows_with_its_postings_and_answers_as_before() {
    assert_eq!(wanted_dir_bits(20, 0), 20);
    assert_eq!(wanted_dir_bits(20, 22_000_000), 20, "1,000,000 articles");
    assert_eq!(wanted_dir_bits(20, 220_000_000), 20, "10,000,000 articles");
    assert_eq!(
        wanted_dir_bits(20, 2_200_000_000),
        24,
        "100,000,000 articles"
    );
    assert_eq!(wanted_dir_bits(20, usize::MAX / 2), MAX_DIR_BITS);
    assert_eq!(
        wanted_dir_bits(4, usize::MAX / 2),
        20,
        "no wider than the short key"
    );
    // Keys over all 64 bits; the table starts at 4 directory bits (20 bits of short key).
    let key = |i: u64| xxhash_rust::xxh3::xxh3_64(&(i % 7_000).to_le_bytes());
    let short = |k: u64| k >> 44;
    let n = 20_000u32;
    let mut pushed = Buckets::new(4, true);
    for s in 0..n {
        pushed.insert(key(u64::from(s)), s);
        if s % 6_000 == 5_999 {
            pushed.compact();
        }
    }
    let built = Buckets::build(4, true, |f| {
        (0..n).for_each(|s| f(key(u64::from(s)), s));
        Ok::<(), ()>(())
    })
    .expect("built");
    assert_eq!(built.dir_bits, wanted_dir_bits(4, n as usize));
    assert!(built.dir_bits > 4 && pushed.dir_bits > 4, "grown");
    let probes: Vec<u64> = (0..7_100).map(key).chain([0, u64::MAX]).collect();
    for idx in [&built, &pushed] {
        let mut many = vec![Vec::new(); probes.len()];
        idx.get_many(&probes, usize::MAX, |i, _, s| many[i] = s.to_vec());
        for (i, &p) in probes.iter().enumerate() {
            let want: Vec<u32> = (0..n)
                .filter(|&s| short(key(u64::from(s))) == short(p))
                .collect();
            let mut got = Vec::new();
            idx.get(p, usize::MAX, |s| got.push(s));
            got.sort_unstable();
            many[i].sort_unstable();
            assert_eq!(got, want, "probe {i}");
            assert_eq!(many[i], want, "probe {i}, many");
        }
    }
}

#[test]
fn buckets_spanning_blocks_answer_like_a_scan() {
    // Two buckets of 15,000 postings, each across several blocks.
    let key = |i: u64| (i % 2) << 63 | (i % 1_000) << 48;
    let n = 30_000u32;
    let built = Buckets::build(1, true, |f| {
        (0..n).for_each(|s| f(key(u64::from(s)), s));
        Ok::<(), ()>(())
    })
    .expect("built");
    let mut pushed = Buckets::new(1, true);
    (0..n).for_each(|s| pushed.insert(key(u64::from(s)), s));
    pushed.compact();
    for probe in [0u64, 1, 777, 998, 999] {
        let want: Vec<u32> = (0..n)
            .filter(|&s| key(u64::from(s)) == key(probe))
            .collect();
        for idx in [&built, &pushed] {
            let mut got = Vec::new();
            idx.get(key(probe), usize::MAX, |s| got.push(s));
            got.sort_unstable();
            assert_eq!(got, want, "probe {probe}");
            let mut many = Vec::new();
            idx.get_many(&[key(probe)], usize::MAX, |_, _, s| {
                many.extend_from_slice(s)
            });
            many.sort_unstable();
            assert_eq!(many, want, "probe {probe}, many");
        }
    }
}
