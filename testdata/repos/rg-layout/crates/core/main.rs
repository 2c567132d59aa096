mod flags;

fn main() {
    let args = flags::parse();
    let hash = env!("RGL_BUILD_GIT_HASH");
    println!("rgl {hash} {} {} {}", grep::search(&args), ignore::walk(), rgcli::is_tty());
}
