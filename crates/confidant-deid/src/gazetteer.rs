//! Word lists shipped with the crate (see data/SOURCES.md), parsed once on
//! first use into hash sets of lower-case forms.

use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

const FIRST_NAMES: &str = include_str!("../data/first_names.txt");
const SURNAMES: &str = include_str!("../data/surnames.txt");
const PLACES: &str = include_str!("../data/places.txt");
const ENGLISH: &str = include_str!("../data/english_words.txt");
const NICKNAMES: &str = include_str!("../data/nicknames.csv");
const ORG_SUFFIXES: &str = include_str!("../data/org_suffixes.txt");
const ORG_SUFFIXES_FAKER: &str = include_str!("../data/org_suffixes_faker.txt");
const STREET_STRONG: &str = include_str!("../data/street_suffixes.txt");
const STREET_WEAK: &str = include_str!("../data/street_suffixes_faker.txt");
const TITLES: &str = include_str!("../data/titles.txt");
const NAME_CUES: &str = include_str!("../data/name_cues.txt");
const STOP_CAPS: &str = include_str!("../data/stop_caps.txt");
const CLINICAL: &str = include_str!("../data/clinical_words.txt");
const CARE_VOCAB: &str = include_str!("../data/care_vocab.txt");

pub(crate) const F_FIRST: u16 = 1;
pub(crate) const F_SUR: u16 = 1 << 1;
pub(crate) const F_PLACE: u16 = 1 << 2;
pub(crate) const F_PLACE_START: u16 = 1 << 3;
pub(crate) const F_ENGLISH: u16 = 1 << 4;
pub(crate) const F_STOP: u16 = 1 << 5;
pub(crate) const F_TITLE: u16 = 1 << 6;
pub(crate) const F_CUE: u16 = 1 << 7;
pub(crate) const F_STREET_STRONG: u16 = 1 << 8;
pub(crate) const F_STREET_WEAK: u16 = 1 << 9;
pub(crate) const F_ORG_END: u16 = 1 << 10;
/// Clinical or care vocabulary (medicines, abbreviations, measures,
/// services, job names): never an identifier on its own.
pub(crate) const F_CLINICAL: u16 = 1 << 11;
/// Care and service vocabulary written for this project (`care_vocab.txt`:
/// generic service acronyms, job names, scales): never initials or an
/// organisation abbreviation.
pub(crate) const F_CARE: u16 = 1 << 12;
/// Set in a token's cached flags once the clinical table was asked.
pub(crate) const F_CLIN_DONE: u16 = 1 << 13;
/// A word that introduces a case or reference number (`patterns::REF_WORDS`).
pub(crate) const F_REF: u16 = 1 << 14;
pub(crate) const F_NAME: u16 = F_FIRST | F_SUR;

/// All gazetteers, lower-cased.
pub(crate) struct Gazetteers {
    /// Hash of every listed single word (see [`word_hash`]) -> its F_*
    /// flags: one lookup per token, no string comparison, compact table.
    pub flags: HashMap<u64, u16, BuildHasherDefault<IdHasher>>,
    /// Clinical and care vocabulary (F_CLINICAL, F_CARE), in a table of
    /// its own: it is asked only of the few tokens that could be names,
    /// and keeping ~93,000 medical words out of the main table keeps the
    /// per-token lookup in cache.
    pub clinical: HashMap<u64, u16, BuildHasherDefault<IdHasher>>,
    /// Place names, multi-word ones joined by single spaces.
    pub places: FxHashSet<String>,
    /// Longest place name in words.
    pub place_max_words: usize,
    /// name -> every name in its nickname group (both directions).
    pub nicknames: FxHashMap<String, Vec<String>>,
    /// Organisation suffixes as lower-case word sequences.
    pub org_suffixes: Vec<Vec<String>>,
    /// Last word of a suffix -> the suffixes ending in it, longest first
    /// (one hash lookup instead of a scan of every suffix).
    pub org_by_last: FxHashMap<String, Vec<Vec<String>>>,
    pub street_strong: FxHashSet<String>,
    pub street_weak: FxHashSet<String>,
    pub titles: FxHashSet<String>,
    pub name_cues: FxHashSet<String>,
    pub stop_caps: FxHashSet<String>,
}

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn set(s: &str) -> FxHashSet<String> {
    lines(s).map(str::to_lowercase).collect()
}

fn build() -> Gazetteers {
    // Single-word places live in the flag table only (below); the set
    // holds multi-word ones.
    let mut places = FxHashSet::default();
    places.reserve(16_384);
    let mut single_places: Vec<&str> = Vec::with_capacity(65_536);
    let mut place_max_words = 1;
    for l in lines(PLACES) {
        if l.chars().all(crate::tokens::is_word_char) {
            single_places.push(l);
            continue;
        }
        let norm = normalise_phrase(l);
        let n = norm.split(' ').count();
        if n == 1 {
            places.insert(norm);
        } else if n <= 5 {
            place_max_words = place_max_words.max(n);
            places.insert(norm);
        }
    }
    let mut nicknames: FxHashMap<String, Vec<String>> = FxHashMap::default();
    for l in lines(NICKNAMES).skip(1) {
        let mut parts = l.split(',');
        let (Some(a), Some(_rel), Some(b)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (a, b) = (a.trim().to_lowercase(), b.trim().to_lowercase());
        if a.is_empty() || b.is_empty() {
            continue;
        }
        nicknames.entry(a.clone()).or_default().push(b.clone());
        nicknames.entry(b).or_default().push(a);
    }
    let mut org_suffixes: Vec<Vec<String>> = lines(ORG_SUFFIXES)
        .chain(lines(ORG_SUFFIXES_FAKER))
        .map(|l| {
            crate::tokens::word_tokens(l)
                .map(|(s, e)| l[s..e].to_lowercase())
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.is_empty())
        .collect();
    // Longest first, so "Primary School" wins over "School".
    org_suffixes.sort_by_key(|v| std::cmp::Reverse(v.len()));
    org_suffixes.dedup();
    let mut org_by_last: FxHashMap<String, Vec<Vec<String>>> = FxHashMap::default();
    for suf in &org_suffixes {
        if let Some(last) = suf.last() {
            org_by_last
                .entry(last.clone())
                .or_default()
                .push(suf.clone());
        }
    }
    let g = Gazetteers {
        flags: HashMap::default(),
        clinical: HashMap::default(),
        places,
        place_max_words,
        nicknames,
        org_suffixes,
        org_by_last,
        street_strong: set(STREET_STRONG),
        street_weak: set(STREET_WEAK),
        titles: set(TITLES),
        name_cues: set(NAME_CUES),
        stop_caps: set(STOP_CAPS),
    };
    let mut flags: HashMap<u64, u16, BuildHasherDefault<IdHasher>> = HashMap::default();
    flags.reserve(200_000);
    for (list, f) in [
        (FIRST_NAMES, F_FIRST),
        (SURNAMES, F_SUR),
        (ENGLISH, F_ENGLISH),
    ] {
        for w in lines(list) {
            *flags.entry(word_hash(w)).or_default() |= f;
        }
    }
    let mut clinical: HashMap<u64, u16, BuildHasherDefault<IdHasher>> = HashMap::default();
    clinical.reserve(100_000);
    for w in lines(CLINICAL) {
        *clinical.entry(word_hash(w)).or_default() |= F_CLINICAL;
    }
    for w in lines(CARE_VOCAB).flat_map(str::split_whitespace) {
        *clinical.entry(word_hash(w)).or_default() |= F_CLINICAL | F_CARE;
    }
    for (set, f) in [
        (&g.stop_caps, F_STOP),
        (&g.titles, F_TITLE),
        (&g.name_cues, F_CUE),
        (&g.street_strong, F_STREET_STRONG),
        (&g.street_weak, F_STREET_WEAK),
    ] {
        for w in set {
            *flags.entry(word_hash(w)).or_default() |= f;
        }
    }
    for w in crate::patterns::REF_WORDS {
        *flags.entry(word_hash(w)).or_default() |= F_REF;
    }
    for p in single_places {
        *flags.entry(word_hash(p)).or_default() |= F_PLACE;
    }
    for p in &g.places {
        match p.split_once(' ') {
            None => *flags.entry(word_hash(p)).or_default() |= F_PLACE,
            Some((first, _)) => *flags.entry(word_hash(first)).or_default() |= F_PLACE_START,
        }
    }
    for suf in &g.org_suffixes {
        if let Some(last) = suf.last() {
            *flags.entry(word_hash(last)).or_default() |= F_ORG_END;
        }
    }
    Gazetteers {
        flags,
        clinical,
        ..g
    }
}

/// Lower-cases a phrase and joins its word tokens with single spaces
/// ("St. Albans" -> "st albans").
pub(crate) fn normalise_phrase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (a, b) in crate::tokens::word_tokens(s) {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in s[a..b].chars() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// 64-bit hash of a word's lower-case form, computed char by char (so a
/// token can be looked up without allocating its lower-case copy). FNV-1a
/// with a final avalanche; collisions among a few hundred thousand words
/// are negligible (~1e-9).
pub(crate) fn word_hash(word: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    if word.is_ascii() {
        // Same values as the char path below, without decoding.
        for b in word.bytes() {
            h ^= u64::from(b.to_ascii_lowercase());
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    } else {
        for c in word.chars().flat_map(char::to_lowercase) {
            h ^= u64::from(u32::from(c));
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// [`word_hash`] of `word` followed by `suffix`, without building the
/// joined string ("reorient" + "e").
pub(crate) fn word_hash2(word: &str, suffix: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in word
        .chars()
        .chain(suffix.chars())
        .flat_map(char::to_lowercase)
    {
        h ^= u64::from(u32::from(c));
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// Identity hasher for keys that are already hashes.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Gazetteers {
    /// Length in words of the longest organisation suffix that ends at
    /// the last of `words` (lower case), 0 if none; never longer than
    /// `words`.
    pub fn org_suffix_at<'w>(
        &self,
        words: impl Fn(usize) -> Option<&'w str>,
        avail: usize,
    ) -> usize {
        let Some(last) = words(0) else { return 0 };
        let Some(sufs) = self.org_by_last.get(last) else {
            return 0;
        };
        for suf in sufs {
            let k = suf.len();
            if k > avail {
                continue;
            }
            // words(x) is the x-th word counting back from the end.
            if (1..k).all(|x| words(x) == Some(suf[k - 1 - x].as_str())) {
                return k;
            }
        }
        0
    }

    /// Whether a normalised phrase (lower case, single spaces) is a place.
    pub fn is_place(&self, phrase: &str) -> bool {
        if phrase.contains(' ') {
            self.places.contains(phrase)
        } else {
            self.has(phrase, F_PLACE)
        }
    }

    /// Flags of a word (any case).
    pub fn flags_of(&self, word: &str) -> u16 {
        self.flags.get(&word_hash(word)).copied().unwrap_or(0)
    }

    /// Whether `word` + `suffix` (any case) has any of the flags `f`.
    pub fn has_joined(&self, word: &str, suffix: &str, f: u16) -> bool {
        let h = word_hash2(word, suffix);
        if self.flags.get(&h).copied().unwrap_or(0) & f != 0 {
            return true;
        }
        f & (F_CLINICAL | F_CARE) != 0 && self.clinical.get(&h).copied().unwrap_or(0) & f != 0
    }

    /// Clinical flags of a word (any case).
    pub fn clinical_of(&self, word: &str) -> u16 {
        self.clinical.get(&word_hash(word)).copied().unwrap_or(0)
    }

    /// Whether `word` (any case) has any of the flags `f`.
    pub fn has(&self, word: &str, f: u16) -> bool {
        if self.flags_of(word) & f != 0 {
            return true;
        }
        f & (F_CLINICAL | F_CARE) != 0 && self.clinical_of(word) & f != 0
    }
}

pub(crate) static GAZ: LazyLock<Gazetteers> = LazyLock::new(build);

/// Forces the gazetteers to load now rather than on the first call.
pub fn warm_up() {
    LazyLock::force(&GAZ);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_hash_is_case_insensitive_and_path_independent() {
        assert_eq!(word_hash("Grace"), word_hash("grace"));
        assert_eq!(word_hash("ŁUKASZ"), word_hash("łukasz"));
        assert_ne!(word_hash("grace"), word_hash("grade"));
        assert!(GAZ.has("Elizabeth", F_FIRST));
        assert!(GAZ.has("hope", F_ENGLISH));
        assert!(!GAZ.has("zzqxj", F_FIRST | F_SUR | F_ENGLISH));
        assert_eq!(word_hash2("Reori", "ENT"), word_hash("reorient"));
        assert_eq!(word_hash2("łuk", "asz"), word_hash("ŁUKASZ"));
    }
}
