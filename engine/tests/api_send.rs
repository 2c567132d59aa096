//! The pre-spawn hook is meant to be awaited inside a daemon's own tasks, which tokio requires
//! to be `Send`; this fails to compile if the futures stop being `Send`.

fn assert_send<T: Send>(_: &T) {}

#[test]
fn the_async_api_is_send() {
    let ensure_options = rbee_graph_engine::EnsureOptions::default();
    let ensure = rbee_graph_engine::ensure(&ensure_options);
    assert_send(&ensure);
    let build_options = rbee_graph_engine::BuildOptions::default();
    let build = rbee_graph_engine::build(&build_options);
    assert_send(&build);
}
