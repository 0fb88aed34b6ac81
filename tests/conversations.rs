use kefu::Engine;

#[test]
fn default_engine_builds() {
    Engine::new().unwrap();
}
