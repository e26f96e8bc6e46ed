//! Many Dockerfiles in one run: the work is spread over threads, the
//! results come back in the order of the sorted file list, so one printer
//! writes them without interleaving and the output is the same at any
//! `--jobs`. The summary counts every status and groups skip reasons.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Run `work` on every item on `jobs` threads and hand each result to
/// `each` in item order, as soon as it and all before it are done.
///
/// A worker sends its results up to `batch` at a time: waking the
/// printing thread once per result costs two context switches, a large
/// part of a fleet run of small files. A batch goes as soon as it holds
/// `batch` results or its first item started [`BATCH_WAIT`] ago; work
/// whose items are slow (verifications) passes 1, so that each result is
/// shown when it is done, not after the next item.
///
/// Results travel boxed: a migration's result is kilobytes, and the
/// waiting map shifts its entries on every removal, so unboxed results
/// were copied several times each on the way to the printer.
pub fn run_ordered<T, R>(
    items: &[T],
    jobs: usize,
    batch: usize,
    work: impl Fn(&T) -> R + Sync,
    mut each: impl FnMut(usize, R),
) where
    T: Sync,
    R: Send,
{
    let jobs = jobs.clamp(1, items.len().max(1));
    let batch_items = batch.max(1);
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Vec<(usize, Box<R>)>>();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || {
                let mut batch = Vec::new();
                let mut started = Instant::now();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    if batch.is_empty() {
                        started = Instant::now();
                    }
                    batch.push((i, Box::new(work(item))));
                    if (batch.len() >= batch_items || started.elapsed() >= BATCH_WAIT)
                        && tx.send(std::mem::take(&mut batch)).is_err()
                    {
                        return;
                    }
                }
                if !batch.is_empty() {
                    let _ = tx.send(batch);
                }
            });
        }
        drop(tx);
        let mut waiting: BTreeMap<usize, Box<R>> = BTreeMap::new();
        let mut printed = 0;
        for batch in rx {
            waiting.extend(batch);
            while let Some(r) = waiting.remove(&printed) {
                each(printed, *r);
                printed += 1;
            }
        }
    });
}

/// The results a worker sends at once when items are quick (see
/// [`run_ordered`]).
pub const BATCH_ITEMS: usize = 32;
/// The longest a worker holds a result back (see [`run_ordered`]).
pub const BATCH_WAIT: Duration = Duration::from_millis(20);

/// `--shard I/N`: the I-th of N disjoint parts of the Dockerfiles found,
/// so that N jobs of a CI matrix, each given its I, cover a fleet once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based, as a CI matrix numbers its jobs.
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let usage = || format!("`{text}`: expected I/N with 1 <= I <= N, e.g. 2/4");
        let (i, n) = text.split_once('/').ok_or_else(usage)?;
        let index: u64 = i.trim().parse().map_err(|_| usage())?;
        let count: u64 = n.trim().parse().map_err(|_| usage())?;
        if index == 0 || count == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether the file with this key (see [`ShardKeys`]) is in the shard.
    pub fn picks(&self, key: &str) -> bool {
        fnv1a(key.as_bytes()) % self.count == self.index - 1
    }
}

/// 64-bit FNV-1a: the same on every machine and every run, unlike the
/// standard library's randomly seeded hasher, so every job of a matrix
/// splits the fleet the same way.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// What the Dockerfiles of one root are sharded by: each file's path from
/// the folder above the one searched (`shop/api/Dockerfile` for `shop`,
/// whether `shop` was given or `shop/api/Dockerfile` itself), so the
/// split depends neither on where the checkout is nor on the current
/// folder, and repositories of a `--repos-file` that each have a
/// `Dockerfile` at their top still spread over the shards.
pub struct ShardKeys {
    /// The searched folder's own name.
    name: String,
    /// The searched folder as the walk's paths start with it.
    folder: PathBuf,
}

impl ShardKeys {
    /// Once per root: the folder's name costs a system call.
    pub fn new(root: &Path) -> ShardKeys {
        let folder = if root.is_dir() {
            root
        } else {
            root.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
        };
        let name = folder
            .canonicalize()
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        ShardKeys {
            name,
            folder: crate::diff::normalise(folder),
        }
    }

    pub fn key(&self, path: &Path) -> String {
        let rel = if self.folder == Path::new(".") {
            path
        } else {
            path.strip_prefix(&self.folder).unwrap_or(path)
        };
        let mut key = self.name.clone();
        for c in rel.components() {
            if let std::path::Component::Normal(part) = c {
                key.push('/');
                key.push_str(&part.to_string_lossy());
            }
        }
        key
    }
}

/// The git repository a path belongs to (the nearest folder above it with
/// `.git`), remembered per folder.
#[derive(Default)]
pub struct Repos {
    known: HashMap<PathBuf, Option<PathBuf>>,
}

impl Repos {
    pub fn of(&mut self, path: &Path) -> Option<PathBuf> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let dir = std::path::absolute(dir).ok()?;
        // Every folder on the way up is remembered: a fleet's files share
        // their ancestors, so each folder is looked at once.
        let mut visited = Vec::new();
        let mut found = None;
        for d in dir.ancestors() {
            if let Some(known) = self.known.get(d) {
                found = known.clone();
                break;
            }
            visited.push(d.to_path_buf());
            if d.join(".git").exists() {
                found = Some(d.to_path_buf());
                break;
            }
        }
        for d in visited {
            self.known.insert(d, found.clone());
        }
        found
    }
}

/// Counts per status, skip reasons grouped, the estimated total saving.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub files: usize,
    pub migrated: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub failed: usize,
    pub estimated_saving_bytes: u64,
    /// Skip reasons with their counts, most frequent first.
    pub skip_reasons: Vec<ReasonCount>,
    /// Failure reasons with their counts, most frequent first.
    pub fail_reasons: Vec<ReasonCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: usize,
}

impl Summary {
    pub fn add(&mut self, status: &str, reason: Option<&str>, saving_bytes: Option<u64>) {
        self.files += 1;
        match status {
            "migrated" => self.migrated += 1,
            "unchanged" => self.unchanged += 1,
            "skipped" => self.skipped += 1,
            _ => self.failed += 1,
        }
        if status == "migrated" {
            self.estimated_saving_bytes += saving_bytes.unwrap_or(0);
        }
        let list = match status {
            "skipped" => &mut self.skip_reasons,
            "failed" => &mut self.fail_reasons,
            _ => return,
        };
        let kind = reason_kind(reason.unwrap_or(""));
        match list.iter_mut().find(|r| r.reason == kind) {
            Some(r) => r.count += 1,
            None => list.push(ReasonCount {
                reason: kind,
                count: 1,
            }),
        }
    }

    /// Sort the reason groups: most frequent first, then by text.
    pub fn finish(&mut self) {
        for list in [&mut self.skip_reasons, &mut self.fail_reasons] {
            list.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
        }
    }

    /// The lines printed on stderr at the end of a run.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{} Dockerfiles: {} migrated, {} unchanged, {} skipped, {} failed; estimated saving ~{}",
            self.files,
            self.migrated,
            self.unchanged,
            self.skipped,
            self.failed,
            human_bytes(self.estimated_saving_bytes)
        )];
        for r in &self.skip_reasons {
            out.push(format!("  {:>5} skipped: {}", r.count, r.reason));
        }
        for r in &self.fail_reasons {
            out.push(format!("  {:>5} failed: {}", r.count, r.reason));
        }
        out
    }
}

/// A reason with its particulars (image names, programs, paths, numbers)
/// blanked, so the same cause groups across files.
pub fn reason_kind(reason: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for word in reason.split(' ') {
        if !out.is_empty() {
            out.push(' ');
        }
        // `quoted code` spans become `…`.
        if in_code {
            // The word is inside the span: drop the blank before it.
            out.pop();
            if word.contains('`') {
                in_code = false;
                out.push_str(word.rsplit('`').next().unwrap_or(""));
            }
            continue;
        }
        if let Some(start) = word.find('`') {
            let rest = &word[start + 1..];
            out.push_str(&word[..start]);
            out.push_str("`…`");
            match rest.find('`') {
                Some(end) => out.push_str(&rest[end + 1..]),
                None => in_code = true,
            }
            continue;
        }
        let particular = word.contains('/')
            || word.contains(':') && word.trim_end_matches([':', ',', ';']).contains(':')
            || word.chars().any(|c| c.is_ascii_digit());
        if particular {
            let leading: String = word
                .chars()
                .take_while(|c| matches!(c, '(' | '['))
                .collect();
            out.push_str(&leading);
            let trailing: String = word
                .chars()
                .rev()
                .take_while(|c| matches!(c, ':' | ',' | ';' | ')'))
                .collect();
            out.push('…');
            out.extend(trailing.chars().rev());
        } else {
            out.push_str(word);
        }
    }
    out
}

/// `1234567890` → `1.2 GB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: &[&str] = &["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_whatever_the_threads() {
        let items: Vec<u64> = (0..200).collect();
        let expected: Vec<(usize, u64)> = (0..200).map(|i| (i as usize, i * 2)).collect();
        for batch in [1, 7, BATCH_ITEMS] {
            let mut seen = Vec::new();
            run_ordered(
                &items,
                8,
                batch,
                |n| {
                    // Later items finish first.
                    std::thread::sleep(std::time::Duration::from_micros(200 - n));
                    n * 2
                },
                |i, r| seen.push((i, r)),
            );
            assert_eq!(seen, expected, "batch {batch}");
        }
    }

    #[test]
    fn reasons_group_by_kind() {
        assert_eq!(
            reason_kind(
                "unknown toolchain: haskell:9.6 with no sign of a language msb migrates (python, go)"
            ),
            "unknown toolchain: … with no sign of a language msb migrates (python, go)"
        );
        assert_eq!(
            reason_kind(
                "RUN runs `make install`: cannot tell whether the runtime needs what it makes"
            ),
            "RUN runs `…`: cannot tell whether the runtime needs what it makes"
        );
        assert_eq!(
            reason_kind("already multi-stage (3 stages)"),
            "already multi-stage (… stages)"
        );
    }

    #[test]
    fn shards_parse_and_split_the_same_way_everywhere() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "x", "1/0", "2", "a/4", "-1/4", "1/4/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        // The published FNV-1a test vectors.
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x85944171f73967e8);
        // Every key lands in exactly one of the N shards.
        for n in 1..6 {
            for key in ["shop/api/Dockerfile", "relay/Dockerfile", "x"] {
                let picked = (1..=n)
                    .filter(|i| {
                        Shard {
                            index: *i,
                            count: n,
                        }
                        .picks(key)
                    })
                    .count();
                assert_eq!(picked, 1, "{key} in {n}");
            }
        }
    }

    #[test]
    fn the_shard_key_starts_at_the_folder_above_the_one_searched() {
        let dir = tempfile::tempdir().unwrap();
        let shop = dir.path().join("shop");
        std::fs::create_dir_all(shop.join("api")).unwrap();
        std::fs::write(shop.join("api/Dockerfile"), "FROM x\n").unwrap();
        let file = shop.join("api/Dockerfile");
        assert_eq!(ShardKeys::new(&shop).key(&file), "shop/api/Dockerfile");
        assert_eq!(
            ShardKeys::new(&shop.join("api")).key(&file),
            "api/Dockerfile"
        );
        assert_eq!(ShardKeys::new(&file).key(&file), "api/Dockerfile");
    }

    #[test]
    fn summary_counts() {
        let mut s = Summary::default();
        s.add("migrated", None, Some(800_000_000));
        s.add("skipped", Some("RUN runs `a`: x"), None);
        s.add("skipped", Some("RUN runs `b`: x"), None);
        s.add("failed", Some("not valid UTF-8 (byte offset 4)"), None);
        s.finish();
        assert_eq!((s.files, s.migrated, s.skipped, s.failed), (4, 1, 2, 1));
        assert_eq!(s.skip_reasons[0].count, 2);
        assert_eq!(
            s.lines()[0],
            "4 Dockerfiles: 1 migrated, 0 unchanged, 2 skipped, 1 failed; estimated saving ~800.0 MB"
        );
        assert_eq!(human_bytes(999), "999 B");
    }
}
