//! Configuration comes from defaults, then the TOML file, then LIUHEN_* variables.

use liuhen::config::Settings;

#[test]
fn file_then_environment_override_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("liuhen.toml");
    std::fs::write(
        &file,
        "data_dir = \"/srv/liuhen\"\nlisten = \"0.0.0.0:9000\"\nmax_material_mb = 20\nextra_regions = [\"示\"]\n",
    )
    .unwrap();
    let s = Settings::load(Some(&file)).unwrap();
    assert_eq!(s.data_dir, std::path::PathBuf::from("/srv/liuhen"));
    assert_eq!(s.listen, "0.0.0.0:9000");
    assert_eq!(s.store_config().unwrap().max_material_bytes, 20_000_000);
    assert_eq!(s.policy.extra_regions, vec!["示"]);
    assert_eq!(s.policy.session_hours, 12, "default kept");

    // SAFETY: this test binary has only this test, so nothing else reads the environment meanwhile.
    unsafe { std::env::set_var("LIUHEN_LISTEN", "127.0.0.1:9100") };
    let s = Settings::load(Some(&file)).unwrap();
    unsafe { std::env::remove_var("LIUHEN_LISTEN") };
    assert_eq!(s.listen, "127.0.0.1:9100");

    // The store's rules sit at the top level of the file and of the environment, declared once
    // (liuhen_store::Policy); limits below one are raised to one for the store.
    std::fs::write(
        &file,
        "zero_report_cycle = \"quarterly\"\nmax_failed_logins = 0\nlog_origin = \"liuhen.example-court.cn/log\"\n\
         [[witnesses]]\nurl = \"http://high-court.example:8080/witness\"\nverifier_key = \"w+1+AA\"\n",
    )
    .unwrap();
    unsafe { std::env::set_var("LIUHEN_SESSION_IDLE_MINUTES", "10") };
    let s = Settings::load(Some(&file)).unwrap();
    unsafe { std::env::remove_var("LIUHEN_SESSION_IDLE_MINUTES") };
    let store = s.store_config().unwrap();
    assert_eq!(store.policy.zero_report_cycle, liuhen_rules::ReportingCycle::Quarterly);
    assert_eq!(store.policy.session_idle_minutes, 10);
    assert_eq!(store.policy.max_failed_logins, 1, "a lock after zero failures is raised to one");
    assert_eq!(store.policy.log_origin, "liuhen.example-court.cn/log");
    assert_eq!(store.policy.lockout_minutes, liuhen_store::Policy::default().lockout_minutes, "default kept");
    assert_eq!(store.witnesses[0].url, "http://high-court.example:8080/witness");
    std::fs::write(&file, "zero_report_cycle = \"weekly\"\n").unwrap();
    let refused = Settings::load(Some(&file)).unwrap_err().to_string();
    assert!(refused.contains("配置有误") && refused.contains("weekly") && refused.contains("quarterly"), "{refused}");
    assert!(refused.contains("zero_report_cycle"), "the key is named: {refused}");
    std::fs::write(&file, "").unwrap();
    unsafe { std::env::set_var("LIUHEN_SESSION_HOURS", "abc") };
    let refused = Settings::load(Some(&file)).unwrap_err().to_string();
    unsafe { std::env::remove_var("LIUHEN_SESSION_HOURS") };
    assert!(refused.contains("SESSION_HOURS") && refused.contains("LIUHEN_"), "the key and its source: {refused}");

    let missing = Settings::load(Some(&dir.path().join("nope.toml"))).unwrap_err().to_string();
    assert!(missing.contains("配置文件"), "{missing}");
    std::fs::write(&file, "max_material_mb = \"lots\"\n").unwrap();
    assert!(Settings::load(Some(&file)).unwrap_err().to_string().contains("配置有误"));

    // S3, S11: a province's permission matrix; one that breaks the separation of duties is refused
    // with every problem named.
    std::fs::write(&file, "[permissions]\ncourt_leader = [\"record.create\", \"record.read_court\"]\n").unwrap();
    let matrix = Settings::load(Some(&file)).unwrap().store_config().unwrap().permissions;
    assert!(matrix.permits(liuhen_rules::Role::CourtLeader, liuhen_rules::Permission::RecordReadCourt));
    std::fs::write(
        &file,
        "[permissions]\nsystem_administrator = [\"record.read_court\"]\nclerk = [\"record.create\"]\n",
    )
    .unwrap();
    let refused = Settings::load(Some(&file)).unwrap().store_config().unwrap_err().to_string();
    assert!(refused.contains("permissions.system_administrator") && refused.contains("三员分立"), "{refused}");
    assert!(refused.contains("permissions.clerk"), "{refused}");

    // Single sign-on: off unless `[oidc]` is there; the secret can come from a file.
    assert!(Settings::load(Some(&file)).unwrap().oidc.is_none());
    let secret = dir.path().join("oidc-secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    std::fs::write(
        &file,
        format!(
            "[oidc]\nissuer = \"https://sso.example-court.cn/realms/court\"\nclient_id = \"liuhen\"\n\
             client_secret_file = \"{}\"\nredirect_url = \"https://liuhen.example-court.cn/auth/oidc/callback\"\n\
             username_claim = \"employee_no\"\n",
            secret.display()
        ),
    )
    .unwrap();
    let oidc = Settings::load(Some(&file)).unwrap().oidc.unwrap();
    assert_eq!(oidc.username_claim, "employee_no");
    assert_eq!(oidc.scopes, vec!["openid", "profile"], "defaults fill what the file leaves out");
    assert!(liuhen_server::oidc::Oidc::new(oidc.clone()).is_ok());
    let unreadable = liuhen_server::oidc::OidcConfig { client_secret_file: Some(dir.path().join("none")), ..oidc };
    assert!(liuhen_server::oidc::Oidc::new(unreadable).err().unwrap().contains("oidc.client_secret_file"));
}
