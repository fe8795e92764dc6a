//! The CLI's modules depend on each other one way: lib.rs declares them in dependency order, and
//! no module's code names a module declared after it. A stage that reached forward (training
//! calling the export, evaluation owning what training needs) would make a cycle, and the
//! pipeline could no longer be read, tested or changed one stage at a time.
//!
//! Test code is left out: a module's tests may drive later stages (training's tests check that
//! what they train exports and decodes).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The modules in the order `root`'s lib.rs declares them.
fn declared_order(root: &Path) -> Vec<String> {
    let lib = fs::read_to_string(root.join("lib.rs")).unwrap();
    lib.lines().filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';').map(str::to_string)).collect()
}

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a piece of code names as `crate::name`.
fn named_modules(code: &str) -> Vec<String> {
    code.match_indices("crate::")
        .filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':'))
        .map(|(at, m)| code[at + m.len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .filter(|name| !name.is_empty())
        .collect()
}

/// A file's code without its tests (a `#[cfg(test)]` module closes each file by convention) and
/// without comments (doc links are not dependencies).
fn production_code(path: &Path) -> Option<String> {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return None;
    }
    let text = fs::read_to_string(path).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    Some(code.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n"))
}

/// Which declared module a source file under `root` belongs to (`None` for lib.rs and main.rs).
fn owner(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).unwrap();
    let first = relative.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// Each module that names a module declared after it: (the module, what it names, where).
fn forward_references(root: &Path, order: &[String]) -> BTreeMap<(String, String), PathBuf> {
    let rank = |m: &str| order.iter().position(|o| o == m);
    let mut files = Vec::new();
    sources(root, &mut files);
    let mut found = BTreeMap::new();
    for file in files {
        let (Some(module), Some(code)) = (owner(root, &file), production_code(&file)) else { continue };
        let own = rank(&module).unwrap_or_else(|| panic!("{} is not declared in lib.rs", file.display()));
        for named in named_modules(&code) {
            let Some(theirs) = rank(&named) else { continue };
            if theirs > own {
                found.entry((module.clone(), named)).or_insert_with(|| file.clone());
            }
        }
    }
    found
}

#[test]
fn every_module_uses_only_modules_declared_before_it() {
    let order = declared_order(&src());
    assert!(order.len() >= 10, "lib.rs declares {order:?}");
    for leaf in ["args", "metrics", "data", "artifacts", "task"] {
        assert!(order.contains(&leaf.to_string()), "{leaf} is a module of its own");
    }
    let forward = forward_references(&src(), &order);
    assert!(
        forward.is_empty(),
        "modules that name a later one (move the shared piece down into a leaf, or the caller up):\n{}",
        forward.iter().map(|((m, n), f)| format!("  {m} -> {n} ({})", f.display())).collect::<Vec<_>>().join("\n")
    );
}

/// The check sees a forward reference where there is one (so a pass means something): a small
/// crate whose first module names its second, beside uses the check must let pass.
#[test]
fn a_forward_reference_is_found() {
    assert_eq!(named_modules("use crate::training::Variant; x::crate::no; crate::export::run()"), ["training", "export"]);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::create_dir_all(root.join("late")).unwrap();
    fs::write(root.join("lib.rs"), "pub mod early;\npub mod late;\n").unwrap();
    fs::write(root.join("early.rs"), "// crate::late in a comment\nfn f() { crate::late::g() }\n#[cfg(test)]\nmod tests { use crate::late; }\n").unwrap();
    fs::write(root.join("late").join("mod.rs"), "use crate::early;\n").unwrap();
    fs::write(root.join("late").join("tests.rs"), "use crate::late;\n").unwrap();
    let order = declared_order(root);
    let forward = forward_references(root, &order);
    assert_eq!(order, ["early", "late"]);
    assert_eq!(forward.keys().cloned().collect::<Vec<_>>(), [("early".to_string(), "late".to_string())]);
}
