//! The model, checked against the `cargo metadata` output of the rbee fixture
//! (`testdata/metadata/rbee.json`, with the fixture's root rewritten to `/repo`; regenerate it
//! with `RBEE_GRAPH_BLESS=1 cargo test -p rbee-graph-testdata --test metadata`).

use std::path::Path;

use rbee_graph_model::{Binary, DepKind, Error, LockKey, Lockfile, PathRole, WorkspaceGraph};

const METADATA: &str = include_str!("../../testdata/metadata/rbee.json");
const LOCK: &str = include_str!("../../testdata/repos/rbee/Cargo.lock");

/// The fixture graph; paths become relative to the fixture's workspace root.
fn rbee() -> WorkspaceGraph {
    rbee_from(METADATA)
}

fn rbee_from(metadata: &str) -> WorkspaceGraph {
    let json: serde_json::Value = serde_json::from_str(metadata).unwrap();
    let root = json["workspace_root"].as_str().unwrap().to_owned();
    let lock = Lockfile::parse(LOCK).unwrap();
    WorkspaceGraph::from_metadata_json(metadata, Some(&lock), Path::new(&root)).unwrap()
}

fn names(
    graph: &WorkspaceGraph,
    ids: impl IntoIterator<Item = rbee_graph_model::NodeId>,
) -> Vec<String> {
    let mut names: Vec<String> = ids
        .into_iter()
        .map(|id| graph.name(id).to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn build_order_puts_dependencies_first_and_breaks_ties_by_name() {
    let graph = rbee();
    let order: Vec<&str> = graph.build_order().map(|id| graph.name(id)).collect();
    assert_eq!(
        order,
        [
            "build-info",
            "narration-core",
            "daemon-lifecycle",
            "hive-lifecycle",
            "job-server",
            "llm-worker-rbee",
            "queen-rbee",
            "rbee-hive",
            "rbee-keeper",
            "test-harness",
            "xtask",
        ]
    );
}

#[test]
fn edges_carry_their_kind() {
    let graph = rbee();
    let kinds = |package: &str| -> Vec<(String, DepKind)> {
        let id = graph.package_by_name(package).unwrap();
        let mut deps: Vec<_> = graph
            .dependencies(id)
            .map(|(d, k)| (graph.name(d).to_owned(), k))
            .collect();
        deps.sort();
        deps
    };
    assert_eq!(
        kinds("llm-worker-rbee"),
        [
            ("build-info".to_owned(), DepKind::Build),
            ("cfg-if".to_owned(), DepKind::Normal),
            ("narration-core".to_owned(), DepKind::Normal),
        ]
    );
    assert_eq!(
        kinds("job-server"),
        [
            ("fastrand".to_owned(), DepKind::Dev),
            ("narration-core".to_owned(), DepKind::Normal),
            ("test-harness".to_owned(), DepKind::Dev),
        ]
    );
}

#[test]
fn dependents_follow_normal_and_build_edges_only() {
    let graph = rbee();
    let core = graph.package_by_name("narration-core").unwrap();
    let reached = graph.dependents(core, DepKind::reaches_binaries);
    assert_eq!(
        names(&graph, reached.iter()),
        [
            "daemon-lifecycle",
            "hive-lifecycle",
            "job-server",
            "llm-worker-rbee",
            "narration-core",
            "queen-rbee",
            "rbee-hive",
            "rbee-keeper",
        ]
    );
    let queen = graph.package_by_name("queen-rbee").unwrap();
    let chain = names(&graph, reached.chain(queen).unwrap());
    assert_eq!(
        chain.len(),
        2,
        "shortest chain is narration-core -> queen-rbee: {chain:?}"
    );

    let harness = graph.package_by_name("test-harness").unwrap();
    assert_eq!(
        names(
            &graph,
            graph.dependents(harness, DepKind::reaches_binaries).iter()
        ),
        ["test-harness"]
    );
    assert_eq!(
        names(&graph, graph.dev_dependents(harness)),
        ["job-server", "xtask"]
    );

    let build_info = graph.package_by_name("build-info").unwrap();
    assert_eq!(
        names(
            &graph,
            graph
                .dependents(build_info, DepKind::reaches_binaries)
                .iter()
        ),
        ["build-info", "llm-worker-rbee"]
    );
}

#[test]
fn external_crates_reach_only_their_dependents() {
    let graph = rbee();
    let lock = Lockfile::parse(LOCK).unwrap();
    let key = |name: &str| -> LockKey {
        lock.entries()
            .find(|e| e.key.name == name)
            .unwrap()
            .key
            .clone()
    };
    let reached = |name: &str| {
        let id = graph.external(&key(name)).unwrap();
        names(
            &graph,
            graph.dependents(id, DepKind::reaches_binaries).iter(),
        )
    };
    assert_eq!(reached("cfg-if"), ["cfg-if", "llm-worker-rbee"]);
    assert_eq!(reached("fastrand"), ["fastrand"]);
    assert_eq!(
        reached("itoa").len(),
        9,
        "itoa and every package above narration-core"
    );
}

#[test]
fn the_innermost_package_owns_a_path() {
    let graph = rbee();
    let owner = |path: &str| graph.owner(path).map(|id| graph.name(id).to_owned());
    assert_eq!(
        owner("libs/narration-core/src/lib.rs").as_deref(),
        Some("narration-core")
    );
    assert_eq!(
        owner("libs/narration-core").as_deref(),
        Some("narration-core")
    );
    assert_eq!(owner("libs/narration-core-extra/x.rs"), None);
    assert_eq!(owner("shared/prompts.txt"), None);
    assert_eq!(owner("Cargo.toml"), None);
}

#[test]
fn paths_inside_a_package_have_roles() {
    let graph = rbee();
    let role =
        |package: &str, path: &str| graph.role_of(graph.package_by_name(package).unwrap(), path);
    let bin = |name: &str| PathRole::Binary(name.to_owned());
    assert_eq!(
        role("queen-rbee", "bin/queen-rbee/src/main.rs"),
        bin("queen-rbee")
    );
    assert_eq!(
        role("queen-rbee", "bin/queen-rbee/src/lib.rs"),
        PathRole::Package
    );
    assert_eq!(
        role("rbee-hive", "bin/rbee-hive/src/bin/hive-check.rs"),
        bin("hive-check")
    );
    assert_eq!(
        role("rbee-hive", "bin/rbee-hive/src/bin/hive-probe/util.rs"),
        bin("hive-probe")
    );
    assert_eq!(
        role("llm-worker-rbee", "bin/llm-worker-rbee/src/worker.rs"),
        bin("llm-worker-rbee")
    );
    assert_eq!(
        role("llm-worker-rbee", "bin/llm-worker-rbee/build.rs"),
        PathRole::Package
    );
    assert_eq!(
        role("llm-worker-rbee", "bin/llm-worker-rbee/Cargo.toml"),
        PathRole::Package
    );
    assert_eq!(
        role("narration-core", "libs/narration-core/tests/narration.rs"),
        PathRole::TestOnly
    );
    assert_eq!(
        role("narration-core", "libs/narration-core/examples/demo.rs"),
        PathRole::TestOnly
    );
    assert_eq!(
        role(
            "narration-core",
            "libs/narration-core/benches/throughput.rs"
        ),
        PathRole::TestOnly
    );
    assert_eq!(
        role("narration-core", "libs/narration-core/README.md"),
        PathRole::Package
    );
}

#[test]
fn binaries_are_ordered_spawner_first() {
    let graph = rbee();
    let bin = |name: &str, package: &str| Binary {
        name: name.into(),
        package: package.into(),
    };
    let spawns = [
        (
            bin("rbee-keeper", "rbee-keeper"),
            bin("queen-rbee", "queen-rbee"),
        ),
        (
            bin("queen-rbee", "queen-rbee"),
            bin("rbee-hive", "rbee-hive"),
        ),
        (
            bin("rbee-hive", "rbee-hive"),
            bin("llm-worker-rbee", "llm-worker-rbee"),
        ),
    ];
    let wanted = [
        bin("llm-worker-rbee", "llm-worker-rbee"),
        bin("rbee-hive", "rbee-hive"),
        bin("rbee-keeper", "rbee-keeper"),
        bin("queen-rbee", "queen-rbee"),
    ];
    let ordered: Vec<String> = graph
        .order_binaries(wanted, &spawns)
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(
        ordered,
        ["rbee-keeper", "queen-rbee", "rbee-hive", "llm-worker-rbee"]
    );

    let cycle = [
        spawns[0].clone(),
        (spawns[0].1.clone(), spawns[0].0.clone()),
    ];
    let err = graph
        .order_binaries(spawns.iter().map(|s| s.0.clone()), &cycle)
        .unwrap_err();
    assert!(matches!(err, Error::SpawnCycle(_)), "{err}");
}

#[test]
fn a_dependency_cycle_is_an_error_naming_its_members() {
    // Make narration-core depend on queen-rbee, which depends on narration-core.
    let mut json: serde_json::Value = serde_json::from_str(METADATA).unwrap();
    let queen_dir = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "queen-rbee")
        .map(|p| {
            Path::new(p["manifest_path"].as_str().unwrap())
                .parent()
                .unwrap()
                .to_owned()
        })
        .unwrap();
    let core = json["packages"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["name"] == "narration-core")
        .unwrap();
    let mut dep = core["dependencies"][0].clone();
    dep["name"] = "queen-rbee".into();
    dep["path"] = queen_dir.to_str().unwrap().into();
    dep["source"] = serde_json::Value::Null;
    core["dependencies"].as_array_mut().unwrap().push(dep);
    let root = json["workspace_root"].as_str().unwrap().to_owned();
    let err =
        WorkspaceGraph::from_metadata_json(&json.to_string(), None, Path::new(&root)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "dependency cycle between packages: daemon-lifecycle -> narration-core -> queen-rbee -> hive-lifecycle -> daemon-lifecycle"
    );
}

#[test]
fn garbage_metadata_is_an_error() {
    let err = WorkspaceGraph::from_metadata_json("{", None, Path::new("/")).unwrap_err();
    assert!(matches!(err, Error::Metadata(_)));
}
