pub fn probe() -> &'static str {
    "epoll"
}
