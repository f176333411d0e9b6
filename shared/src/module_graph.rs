//! A test of the crate's shape: the top-level modules import one another in one direction only.
//!
//! Reads every source file of the crate, takes the `crate::<module>` paths it names outside
//! comments, and checks that the graph of top-level modules has no cycle, and that nothing
//! imports the two entry layers (`http`, `worker`), which may import everything else. Run it
//! with `cargo test -p quarry-shared module_graph`; on failure it prints the cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules it names.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![src.to_path_buf()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if first == "lib" || first == "module_graph" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let edges = graph.entry(first.clone()).or_default();
        for line in text.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
            for named in named_modules(line) {
                if named != first {
                    edges.insert(named);
                }
            }
        }
    }
    graph
}

/// The modules a line names as `crate::<name>`, including inside `crate::{a, b::c}`.
fn named_modules(line: &str) -> Vec<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    let mut names = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        let rest = &line[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                names.extend(group.split(',').map(|part| ident(part.trim())).filter(|n| !n.is_empty()));
            }
            None => names.push(ident(rest)),
        }
    }
    names.retain(|n| n.chars().next().is_some_and(|c| c.is_ascii_lowercase()));
    names
}

/// A cycle through `graph`, if there is one, as the path of modules that closes it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn source_graph() -> BTreeMap<String, BTreeSet<String>> {
    module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn top_level_modules_import_one_way() {
    let graph = source_graph();
    assert!(graph.len() > 10, "the walk found the crate's modules: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle among the crate's modules: {}\nwhole graph: {graph:#?}", cycle.join(" -> "));
    }
}

#[test]
fn nothing_imports_the_entry_layers() {
    for (module, names) in source_graph() {
        for entry in ["http", "worker"] {
            assert!(!names.contains(entry), "`{module}` imports `{entry}`; the domain must not know its callers");
        }
    }
}

#[test]
fn the_check_sees_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec![])]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
        .collect();
    assert_eq!(find_cycle(&graph), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    assert_eq!(named_modules("use crate::{jobs::Job, leads, ports::Table};  x crate::events::Event"), ["jobs", "leads", "ports", "events"]);
}
