//! The built-in knowledge packs, `transforms/*.toml`, converted to JSON
//! at build time: msb reads them at every start, and serde_json reads the
//! same data about ten times faster than the TOML parser (loading the
//! packs was 86% of a single-file run). The TOML files stay the one
//! source: a pack that does not parse here is left out of the JSON, and
//! msb reads its TOML at run time, which gives the error with the pack's
//! name and line.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=transforms");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut names: Vec<String> = std::fs::read_dir("transforms")
        .expect("transforms/ is readable")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut table = String::from("&[\n");
    for name in names {
        let path = Path::new("transforms").join(&name);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("a pack is readable");
        let json = match toml::from_str::<toml::Table>(&text) {
            Ok(value) => serde_json::to_string(&value).expect("a TOML table is JSON"),
            Err(e) => {
                let first = e.to_string();
                let first = first.lines().next().unwrap_or("");
                println!(
                    "cargo:warning=transforms/{name} does not parse ({first}); msb reads its TOML at run time"
                );
                String::new()
            }
        };
        let file = Path::new(&out).join(format!("{name}.json"));
        std::fs::write(&file, json).expect("OUT_DIR is writable");
        writeln!(
            table,
            "    ({name:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .expect("writing to a String");
    }
    table.push_str("]\n");
    std::fs::write(Path::new(&out).join("builtin_json.rs"), table).expect("OUT_DIR is writable");
}
