//! `--observe`: what each RUN of the original Dockerfile really writes,
//! seen on the local Docker engine. The original is built with the
//! classic builder (one layer per instruction), the image is read back
//! with `docker save`, and each RUN is tied to its layer through the
//! image's history; the paths of that layer are the RUN's observed
//! effects (`analyse::observed`). Reading the archive and tying layers to
//! RUNs are pure functions here; the engine is only asked to build, save
//! and remove.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::path::Path;

use crate::analyse::observed::{Observation, Observed, ObservedPath, PathKind};
use crate::engine::{Builder, Engine};
use crate::parse::{Dockerfile, Keyword};

/// One entry of a tar archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// Without a leading `./` or `/`, nor a trailing `/`.
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Link,
    /// Hard links, devices, FIFOs.
    Other,
}

/// What `docker save` gives of one image: each layer's entries, in order,
/// and the history of its config.
#[derive(Debug, Clone, Default)]
pub struct SavedImage {
    pub layers: Vec<Vec<TarEntry>>,
    pub history: Vec<HistoryEntry>,
}

/// One entry of the config's `history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub created_by: String,
    /// The instruction made no layer (ENV, CMD, LABEL...).
    pub empty_layer: bool,
}

const BLOCK: usize = 512;

/// A header field: the bytes up to the first NUL.
fn field(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// A numeric header field: octal digits, or base-256 when the high bit of
/// the first byte is set (sizes of 8 GiB and more).
fn number(bytes: &[u8]) -> u64 {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return bytes[1..]
            .iter()
            .fold(u64::from(bytes[0] & 0x7f), |n, &b| (n << 8) | u64::from(b));
    }
    let text = field(bytes);
    u64::from_str_radix(text.trim_matches([' ', '\0']), 8).unwrap_or(0)
}

/// Whether a 512-byte block is a tar header: its checksum matches.
pub fn is_tar_header(block: &[u8]) -> bool {
    if block.len() < BLOCK {
        return false;
    }
    let stored = number(&block[148..156]);
    let sum: u64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    sum == stored
}

/// `path` as the entry names it, without `./`, `/` at either end.
fn clean(path: &str) -> String {
    path.trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_string()
}

/// The `path` record of a PAX extended header (`LEN path=VALUE\n`...).
fn pax_path(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    text.lines().find_map(|record| {
        let (_, kv) = record.split_once(' ')?;
        kv.strip_prefix("path=").map(str::to_string)
    })
}

fn skip(r: &mut impl Read, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n), &mut io::sink())?;
    if copied < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the archive ends inside an entry",
        ));
    }
    Ok(())
}

/// Reads a tar archive from `r`, calling `each` with every entry and a
/// reader of its data (what `each` leaves unread is skipped). Long names
/// of GNU (`L`) and PAX (`x`) headers are applied to the entry after them.
pub fn read_tar(
    mut r: impl Read,
    mut each: impl FnMut(&TarEntry, &mut dyn Read) -> io::Result<()>,
) -> io::Result<()> {
    let mut header = [0u8; BLOCK];
    let mut long_name: Option<String> = None;
    loop {
        match r.read_exact(&mut header) {
            Ok(()) => {}
            // An archive may end without its two zero blocks.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        if header.iter().all(|&b| b == 0) {
            return Ok(());
        }
        if !is_tar_header(&header) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a tar header",
            ));
        }
        let size = number(&header[124..136]);
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        let flag = header[156];
        if matches!(flag, b'L' | b'x') {
            let mut data = Vec::new();
            (&mut r).take(size).read_to_end(&mut data)?;
            skip(&mut r, padded - size)?;
            long_name = if flag == b'L' {
                Some(field(&data))
            } else {
                pax_path(&data).or(long_name)
            };
            continue;
        }
        let mut name = field(&header[0..100]);
        let prefix = field(&header[345..500]);
        if &header[257..262] == b"ustar" && !prefix.is_empty() {
            name = format!("{prefix}/{name}");
        }
        if let Some(long) = long_name.take() {
            name = long;
        }
        let kind = match flag {
            b'0' | 0 | b'7' => EntryKind::File,
            b'5' => EntryKind::Dir,
            b'2' => EntryKind::Link,
            b'g' => {
                skip(&mut r, padded)?;
                continue;
            }
            _ => EntryKind::Other,
        };
        let kind = if kind == EntryKind::File && name.ends_with('/') {
            EntryKind::Dir
        } else {
            kind
        };
        let entry = TarEntry {
            path: clean(&name),
            kind,
            size,
        };
        let mut data = (&mut r).take(size);
        each(&entry, &mut data)?;
        let left = data.limit();
        skip(&mut r, left + (padded - size))?;
    }
}

/// Reads the archive `docker save` writes (the legacy layout's
/// `ID/layer.tar` or the OCI layout's `blobs/sha256/…`): the JSON files
/// are kept, every layer is listed, then `manifest.json` orders them.
pub fn read_saved(r: impl Read) -> io::Result<SavedImage> {
    const JSON_LIMIT: u64 = 64 << 20;
    let mut json: HashMap<String, Vec<u8>> = HashMap::new();
    let mut listings: HashMap<String, Vec<TarEntry>> = HashMap::new();
    // gzip layers (the containerd image store's): not read.
    let mut compressed: HashSet<String> = HashSet::new();
    read_tar(r, |entry, data| {
        if entry.kind != EntryKind::File || entry.size == 0 {
            return Ok(());
        }
        let mut first = vec![0u8; BLOCK.min(entry.size as usize)];
        data.read_exact(&mut first)?;
        if first.first() == Some(&b'{') || first.first() == Some(&b'[') {
            if entry.size <= JSON_LIMIT {
                let mut all = first;
                data.read_to_end(&mut all)?;
                json.insert(entry.path.clone(), all);
            }
            return Ok(());
        }
        if first.starts_with(&[0x1f, 0x8b]) {
            compressed.insert(entry.path.clone());
            return Ok(());
        }
        if first.len() == BLOCK && (is_tar_header(&first) || first.iter().all(|&b| b == 0)) {
            let mut entries = Vec::new();
            read_tar(io::Cursor::new(first).chain(data), |e, _| {
                entries.push(e.clone());
                Ok(())
            })?;
            listings.insert(entry.path.clone(), entries);
        }
        Ok(())
    })?;
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
    let manifest = json
        .get("manifest.json")
        .ok_or_else(|| invalid("no manifest.json".to_string()))?;
    let manifest: serde_json::Value =
        serde_json::from_slice(manifest).map_err(|e| invalid(format!("manifest.json: {e}")))?;
    let image = manifest
        .get(0)
        .ok_or_else(|| invalid("manifest.json lists no image".to_string()))?;
    let config_name = image["Config"].as_str().unwrap_or_default();
    let config = json
        .get(config_name)
        .ok_or_else(|| invalid(format!("no config {config_name}")))?;
    let config: serde_json::Value =
        serde_json::from_slice(config).map_err(|e| invalid(format!("{config_name}: {e}")))?;
    let mut saved = SavedImage::default();
    for layer in image["Layers"].as_array().into_iter().flatten() {
        let name = layer.as_str().unwrap_or_default();
        let entries = listings.remove(name).ok_or_else(|| {
            invalid(if compressed.contains(name) {
                format!("layer {name} is gzip-compressed: msb reads uncompressed layers only")
            } else {
                format!("layer {name} is not a tar archive")
            })
        })?;
        saved.layers.push(entries);
    }
    for h in config["history"].as_array().into_iter().flatten() {
        saved.history.push(HistoryEntry {
            created_by: h["created_by"].as_str().unwrap_or_default().to_string(),
            empty_layer: h["empty_layer"].as_bool().unwrap_or(false),
        });
    }
    Ok(saved)
}

/// Blanks folded to one space: the classic builder keeps the blanks
/// around a continuation that msb's parser drops.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a history entry's `created_by` is the classic builder's record
/// of the RUN `command` (squeezed): `/bin/sh -c CMD` (or the SHELL's
/// program) for the shell form, the words for the exec form, each with a
/// `|N K=V …` prefix when build arguments are in scope.
pub fn made_by(created_by: &str, command: &str, exec_form: bool) -> bool {
    let created = squeeze(created_by);
    let Some(before) = created.strip_suffix(command) else {
        return false;
    };
    let before = before.trim_end();
    if exec_form {
        return before.is_empty() || before.starts_with('|');
    }
    before.ends_with(" -c") || before.ends_with(" /c") || before == "-c"
}

/// The RUNs of a one-stage file: instruction index, line, the command as
/// the builder records it (squeezed), whether it is the exec form.
fn runs(file: &Dockerfile) -> Vec<(usize, usize, String, bool)> {
    let starts = file.stage_starts();
    if starts.len() != 1 {
        return Vec::new();
    }
    file.instructions
        .iter()
        .enumerate()
        .skip(starts[0] + 1)
        .filter(|(_, i)| i.keyword == Keyword::Run)
        .map(|(index, i)| match &i.exec {
            Some(words) => (index, i.line, squeeze(&words.join(" ")), true),
            None => (index, i.line, squeeze(&i.args), false),
        })
        .collect()
}

/// Ties each RUN of `file` to its layer of `image` and lists what it
/// wrote. The history entries that made layers line up with the layers;
/// RUNs are matched from the newest back, each to the nearest earlier
/// entry it made, so a RUN of the base image with the same text is never
/// taken for the file's.
pub fn observe_runs(file: &Dockerfile, image: &SavedImage, noise: &[String]) -> Observed {
    let mut observed = Observed::default();
    let made: Vec<&HistoryEntry> = image.history.iter().filter(|h| !h.empty_layer).collect();
    let runs = runs(file);
    if made.len() != image.layers.len() {
        let why = format!(
            "the image's history names {} layers, its archive holds {}",
            made.len(),
            image.layers.len()
        );
        for (index, ..) in &runs {
            observed
                .runs
                .insert(*index, Observation::Unmapped(why.clone()));
        }
        return observed;
    }
    let first_seen = first_layers(&image.layers);
    let mut cursor = made.len();
    for (index, line, command, exec_form) in runs.iter().rev() {
        let found = made[..cursor]
            .iter()
            .rposition(|h| made_by(&h.created_by, command, *exec_form));
        let observation = match found {
            Some(layer) => {
                cursor = layer;
                Observation::Wrote(layer_paths(&image.layers[layer], layer, &first_seen, noise))
            }
            None => {
                Observation::Unmapped(format!("no layer's history entry is line {line}'s command"))
            }
        };
        observed.runs.insert(*index, observation);
    }
    observed
}

/// The first layer each path appears in.
fn first_layers(layers: &[Vec<TarEntry>]) -> HashMap<&str, usize> {
    let mut first = HashMap::new();
    for (i, layer) in layers.iter().enumerate() {
        for e in layer {
            first.entry(e.path.as_str()).or_insert(i);
        }
    }
    first
}

/// Whether `path` (relative, `var/cache/x`) is one of the `noise` folders
/// (`/var/cache`) or inside one.
fn is_noise(path: &str, noise: &[String]) -> bool {
    noise.iter().any(|n| {
        let n = n.trim_matches('/');
        path == n || path.strip_prefix(n).is_some_and(|r| r.starts_with('/'))
    })
}

/// The paths layer `index` adds or changes, absolute: whiteouts (what it
/// deletes) and `noise` (caches, logs, temporary files) left out, folders
/// that already existed left out (a layer repeats the parents of what it
/// changes), and a folder new in this layer standing for what is inside.
pub fn layer_paths(
    layer: &[TarEntry],
    index: usize,
    first_seen: &HashMap<&str, usize>,
    noise: &[String],
) -> Vec<ObservedPath> {
    let existed = |p: &str| first_seen.get(p).is_some_and(|&i| i < index);
    let new_dirs: HashSet<&str> = layer
        .iter()
        .filter(|e| e.kind == EntryKind::Dir && !existed(&e.path))
        .map(|e| e.path.as_str())
        .collect();
    let inside_new_dir = |p: &str| {
        let mut rest = p;
        while let Some((parent, _)) = rest.rsplit_once('/') {
            if new_dirs.contains(parent) {
                return true;
            }
            rest = parent;
        }
        false
    };
    let mut paths = Vec::new();
    for e in layer {
        let name = e.path.rsplit('/').next().unwrap_or(&e.path);
        if e.path.is_empty()
            || name.starts_with(".wh.")
            || is_noise(&e.path, noise)
            || inside_new_dir(&e.path)
        {
            continue;
        }
        let changed = existed(&e.path);
        let kind = match e.kind {
            EntryKind::Dir if changed => continue,
            EntryKind::Dir => PathKind::Dir,
            EntryKind::Link => PathKind::Link,
            EntryKind::File | EntryKind::Other => PathKind::File,
        };
        paths.push(ObservedPath {
            path: format!("/{}", e.path),
            kind,
            changed,
        });
    }
    paths
}

/// Whether observing would decide something: a RUN msb cannot read is
/// all that stops (or, with --unsafe, is left out of) the migration.
pub fn wanted(m: &crate::migrate::Migration) -> bool {
    m.analysis.skip.is_none()
        && m.analysis.steps.iter().any(|s| {
            s.role == crate::analyse::StepRole::Unknown
                && m.file.instructions[s.index].keyword == Keyword::Run
        })
}

/// Builds the original with the classic builder, reads its layers and
/// removes what the build left (the tag and its new step images). A build
/// that fails is said in `Observed::failure`: the skips stay.
pub fn observe(
    engine: &Engine,
    file: &Dockerfile,
    dockerfile: &Path,
    context: &Path,
    build_args: &[String],
    noise: &[String],
) -> Observed {
    let mut engine = engine.clone();
    engine.set_builder(Builder::Classic);
    let failed = |why: String| Observed {
        failure: Some(why),
        ..Observed::default()
    };
    let existed = engine.image_ids().unwrap_or_default();
    let tag = format!("msb-observe-{}", crate::verify::unique_id());
    let build = match engine.build(dockerfile, context, &tag, build_args) {
        Ok(b) => b,
        Err(e) => return failed(format!("cannot build the original: {e}")),
    };
    let result = if build.ok {
        engine.save(&tag).map_err(|e| e.to_string())
    } else {
        let last = build.log.lines().rev().find(|l| !l.trim().is_empty());
        Err(format!(
            "the original does not build with the classic builder ({})",
            last.unwrap_or("no log").trim()
        ))
    };
    engine.remove_image(&tag);
    engine.remove_new_step_images(std::slice::from_ref(&build.log), &existed);
    match result {
        Ok(image) => observe_runs(file, &image, noise),
        Err(why) => failed(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar header block for `name` of `kind` ('0', '5', '2', 'L'...).
    fn header(name: &str, kind: u8, size: usize) -> Vec<u8> {
        let mut h = vec![0u8; BLOCK];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    fn tar(entries: &[(&str, u8, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, kind, data) in entries {
            out.extend(header(name, *kind, data.len()));
            out.extend(*data);
            out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
        }
        out.extend([0u8; 2 * BLOCK]);
        out
    }

    fn list(bytes: &[u8]) -> Vec<(String, EntryKind)> {
        let mut got = Vec::new();
        read_tar(bytes, |e, _| {
            got.push((e.path.clone(), e.kind));
            Ok(())
        })
        .unwrap();
        got
    }

    #[test]
    fn a_tar_is_listed_with_long_names() {
        let long = format!("usr/local/{}/tool", "x".repeat(120));
        let bytes = tar(&[
            ("usr/", b'5', b""),
            ("usr/local/bin/tool", b'0', b"#!/bin/sh\n"),
            ("././@LongLink", b'L', long.as_bytes()),
            ("usr/local/xxx", b'0', b"1"),
            ("usr/local/bin/z", b'2', b""),
        ]);
        assert_eq!(
            list(&bytes),
            [
                ("usr".to_string(), EntryKind::Dir),
                ("usr/local/bin/tool".to_string(), EntryKind::File),
                (long, EntryKind::File),
                ("usr/local/bin/z".to_string(), EntryKind::Link),
            ]
        );
    }

    #[test]
    fn a_saved_image_orders_its_layers_by_the_manifest() {
        let base = tar(&[("usr/", b'5', b""), ("usr/bin/", b'5', b"")]);
        let run = tar(&[("usr/", b'5', b""), ("usr/bin/tool", b'0', b"x")]);
        let config = br#"{"history":[{"created_by":"base"},{"created_by":"/bin/sh -c #(nop)  ENV A=1","empty_layer":true},{"created_by":"/bin/sh -c ./x"}]}"#;
        let manifest = br#"[{"Config":"c.json","Layers":["a/layer.tar","b/layer.tar"]}]"#;
        let archive = tar(&[
            ("b/layer.tar", b'0', &run),
            ("a/layer.tar", b'0', &base),
            ("c.json", b'0', config),
            ("manifest.json", b'0', manifest),
        ]);
        let saved = read_saved(&archive[..]).unwrap();
        assert_eq!(saved.layers.len(), 2);
        assert_eq!(saved.layers[1][1].path, "usr/bin/tool");
        assert_eq!(saved.history.len(), 3);
        assert!(saved.history[1].empty_layer);
    }

    #[test]
    fn a_run_is_the_history_entry_that_ends_with_its_command() {
        assert!(made_by(
            "/bin/sh -c sh ./install.sh",
            "sh ./install.sh",
            false
        ));
        // Build arguments in scope come first; continuation blanks differ.
        assert!(made_by(
            "|1 V=1 /bin/sh -c sh ./install.sh &&     echo done",
            "sh ./install.sh && echo done",
            false
        ));
        assert!(made_by("/bin/bash -o pipefail -c x", "x", false));
        assert!(made_by("sh ./install.sh", "sh ./install.sh", true));
        assert!(made_by("|1 V=1 sh ./install.sh", "sh ./install.sh", true));
        // Another RUN that ends the same way is not this one.
        assert!(!made_by(
            "/bin/sh -c make && sh ./install.sh",
            "sh ./install.sh",
            false
        ));
        assert!(!made_by(
            "/bin/sh -c #(nop) COPY file:ab in . ",
            "sh ./install.sh",
            false
        ));
    }

    fn entry(path: &str, kind: EntryKind) -> TarEntry {
        TarEntry {
            path: path.to_string(),
            kind,
            size: 0,
        }
    }

    fn image(layers: Vec<Vec<TarEntry>>, history: &[(&str, bool)]) -> SavedImage {
        SavedImage {
            layers,
            history: history
                .iter()
                .map(|(by, empty)| HistoryEntry {
                    created_by: by.to_string(),
                    empty_layer: *empty,
                })
                .collect(),
        }
    }

    fn file(text: &str) -> Dockerfile {
        crate::parse::parse(text).unwrap()
    }

    #[test]
    fn a_layer_keeps_what_it_made_without_noise_parents_or_whiteouts() {
        use EntryKind::*;
        let base = vec![
            entry("usr", Dir),
            entry("usr/local", Dir),
            entry("usr/local/bin", Dir),
            entry("opt", Dir),
            entry("etc", Dir),
            entry("etc/motd", File),
        ];
        let run = vec![
            entry("usr", Dir),
            entry("usr/local", Dir),
            entry("usr/local/bin", Dir),
            entry("usr/local/bin/tool", File),
            entry("usr/local/bin/z", Link),
            entry("opt", Dir),
            entry("opt/x", Dir),
            entry("opt/x/y", Dir),
            entry("opt/x/y/z", File),
            entry("etc", Dir),
            entry("etc/motd", File),
            entry("etc/.wh.old", File),
            entry("tmp", Dir),
            entry("tmp/build.log", File),
            entry("var/cache/x", File),
        ];
        let noise = vec!["/tmp".to_string(), "/var/cache".to_string()];
        let layers = [base, run];
        let first = first_layers(&layers);
        let paths = layer_paths(&layers[1], 1, &first, &noise);
        let shown: Vec<(&str, PathKind, bool)> = paths
            .iter()
            .map(|p| (p.path.as_str(), p.kind, p.changed))
            .collect();
        assert_eq!(
            shown,
            [
                ("/usr/local/bin/tool", PathKind::File, false),
                ("/usr/local/bin/z", PathKind::Link, false),
                ("/opt/x", PathKind::Dir, false),
                ("/etc/motd", PathKind::File, true),
            ]
        );
    }

    #[test]
    fn runs_map_to_their_layers_from_the_newest_back() {
        use EntryKind::*;
        let f = file(
            "FROM x\nARG V=1\nWORKDIR /app\nRUN ./a.sh \\\n    && echo done\nENV A=1\nRUN ./a.sh\n",
        );
        let layers = vec![
            vec![entry("bin", Dir)],
            vec![entry("usr/bin/old", File)],
            vec![entry("app", Dir)],
            vec![entry("usr/bin/first", File)],
            vec![entry("usr/bin/second", File)],
        ];
        let history = [
            ("base", false),
            // The base image ran the same command: it is not the file's.
            ("/bin/sh -c ./a.sh", false),
            ("/bin/sh -c #(nop)  ARG V=1", true),
            ("/bin/sh -c #(nop) WORKDIR /app", false),
            ("|1 V=1 /bin/sh -c ./a.sh     && echo done", false),
            ("/bin/sh -c #(nop)  ENV A=1", true),
            ("|1 V=1 /bin/sh -c ./a.sh", false),
        ];
        let observed = observe_runs(&f, &image(layers, &history), &[]);
        let wrote = |i: usize| match &observed.runs[&i] {
            Observation::Wrote(p) => p.iter().map(|p| p.path.clone()).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(wrote(3), ["/usr/bin/first"]);
        assert_eq!(wrote(5), ["/usr/bin/second"]);
    }

    #[test]
    fn a_run_without_its_layer_is_said_unmapped() {
        let f = file("FROM x\nRUN ./a.sh\n");
        let layers = vec![vec![entry("bin", EntryKind::Dir)]];
        let observed = observe_runs(&f, &image(layers.clone(), &[("base", false)]), &[]);
        assert!(matches!(observed.runs[&1], Observation::Unmapped(_)));
        assert_eq!(
            observed.why_not(1, 2).unwrap(),
            "observed on the engine: cannot map a layer to the RUN at line 2 (no layer's history entry is line 2's command)"
        );
        // History and layers that do not line up map nothing.
        let observed = observe_runs(
            &f,
            &image(layers, &[("base", false), ("/bin/sh -c ./a.sh", false)]),
            &[],
        );
        assert!(matches!(observed.runs[&1], Observation::Unmapped(_)));
    }
}
