//! The config lookup order and where settings come from, with an environment made per test.

use super::*;

struct Places {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Places {
    fn new() -> Places {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_owned();
        for sub in [
            "cwd",
            "xdg/copydesk",
            "home/.config/copydesk",
            "etc",
            "env",
            "flag",
        ] {
            std::fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        Places { _dir: dir, root }
    }

    fn env(&self) -> Env {
        Env {
            copydesk_config: Some(self.root.join("env/config.toml")),
            xdg_config_home: Some(self.root.join("xdg")),
            home: Some(self.root.join("home")),
            state_directory: None,
            xdg_state_home: Some(self.root.join("state")),
            current_dir: self.root.join("cwd"),
            system_config: self.root.join("etc/config.toml"),
        }
    }

    /// Writes a config whose inbox names the place, so a test sees which file was read.
    fn write(&self, rel: &str, inbox: &str) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::write(&path, format!("[paths]\ninbox = \"{inbox}\"\n")).expect("write");
        path
    }
}

fn found(flag: Option<&Path>, env: &Env) -> Option<(PathBuf, Found)> {
    locate(flag, env).expect("locates")
}

#[test]
fn each_place_is_used_only_when_the_ones_before_it_are_not() {
    let p = Places::new();
    let mut env = p.env();
    env.copydesk_config = None;
    assert_eq!(found(None, &env), None, "nothing anywhere: the defaults");
    let system = p.write("etc/config.toml", "system");
    assert_eq!(found(None, &env), Some((system, Found::System)));
    // ~/.config is the user's folder only while $XDG_CONFIG_HOME is unset.
    let home = p.write("home/.config/copydesk/config.toml", "home");
    assert_eq!(found(None, &env).map(|f| f.1), Some(Found::System));
    env.xdg_config_home = None;
    assert_eq!(found(None, &env), Some((home.clone(), Found::User)));
    env.xdg_config_home = Some(PathBuf::from("relative/xdg"));
    assert_eq!(
        found(None, &env),
        Some((home, Found::User)),
        "relative XDG is ignored"
    );
    env.xdg_config_home = Some(p.root.join("xdg"));
    let xdg = p.write("xdg/copydesk/config.toml", "xdg");
    assert_eq!(found(None, &env), Some((xdg, Found::User)));
    let cwd = p.write("cwd/config.toml", "cwd");
    assert_eq!(found(None, &env), Some((cwd, Found::CurrentDir)));
    env.copydesk_config = Some(p.root.join("env/config.toml"));
    let by_env = p.write("env/config.toml", "env");
    assert_eq!(found(None, &env), Some((by_env, Found::EnvVar)));
    let flag = p.write("flag/config.toml", "flag");
    assert_eq!(found(Some(&flag), &env), Some((flag.clone(), Found::Flag)));
    let loaded = load(
        &Overrides {
            config: Some(flag),
            ..Overrides::default()
        },
        &env,
    )
    .expect("loads");
    assert_eq!(loaded.settings.inbox, p.root.join("flag/flag"));
}

#[test]
fn a_named_file_must_exist_and_is_never_passed_over() {
    let p = Places::new();
    p.write("cwd/config.toml", "cwd");
    let env = p.env();
    let err = load(&Overrides::default(), &env).expect_err("$COPYDESK_CONFIG names no file");
    assert!(matches!(err, ConfigError::Missing { .. }), "{err}");
    assert!(!err.to_string().contains("os error"), "{err}");
    let flags = Overrides {
        config: Some(p.root.join("flag/none.toml")),
        ..Overrides::default()
    };
    let err = load(&flags, &env).expect_err("--config names no file");
    assert!(err.to_string().contains("none.toml"), "{err}");
}

#[test]
fn relative_paths_are_taken_from_the_config_folder() {
    let p = Places::new();
    let mut env = p.env();
    env.copydesk_config = None;
    std::fs::write(
        p.root.join("etc/config.toml"),
        "[paths]\ndb = \"data/db\"\ninbox = \"/abs/inbox\"\n",
    )
    .expect("write");
    let loaded = load(&Overrides::default(), &env).expect("loads");
    assert_eq!(loaded.settings.db, p.root.join("etc/data/db"));
    assert_eq!(loaded.settings.inbox, PathBuf::from("/abs/inbox"));
    assert_eq!(
        loaded.origin("paths.db"),
        p.root.join("etc/config.toml").display().to_string()
    );
    assert_eq!(loaded.origin("detect.reprint_min"), "default");
}

#[test]
fn the_state_directory_holds_what_the_config_does_not_place_and_flags_win() {
    let p = Places::new();
    let mut env = p.env();
    env.copydesk_config = None;
    env.state_directory = Some(PathBuf::from("/var/lib/copydesk"));
    std::fs::write(
        p.root.join("etc/config.toml"),
        "[paths]\ninbox = \"/srv/inbox\"\n",
    )
    .expect("write");
    let loaded = load(&Overrides::default(), &env).expect("loads");
    assert_eq!(loaded.settings.db, PathBuf::from("/var/lib/copydesk/db"));
    assert_eq!(loaded.origin("paths.db"), "$STATE_DIRECTORY");
    assert_eq!(loaded.settings.inbox, PathBuf::from("/srv/inbox"));
    assert_eq!(
        loaded.settings.socket_path(),
        PathBuf::from("/var/lib/copydesk/db/copydesk.sock")
    );
    let flags = Overrides {
        db: Some(PathBuf::from("/tmp/elsewhere")),
        ..Overrides::default()
    };
    let loaded = load(&flags, &env).expect("loads");
    assert_eq!(loaded.settings.db, PathBuf::from("/tmp/elsewhere"));
    assert_eq!(loaded.origin("paths.db"), "--db");
}

#[test]
fn toml_errors_keep_the_crates_lines_and_caret() {
    let p = Places::new();
    let path = p.root.join("flag/bad.toml");
    std::fs::write(&path, "[detect]\nreprint_min = = 0.5\n").expect("write");
    let flags = Overrides {
        config: Some(path),
        ..Overrides::default()
    };
    let err = load(&flags, &p.env()).expect_err("not TOML");
    let text = err.to_string();
    assert!(text.contains("bad.toml"), "{text}");
    assert!(text.lines().count() >= 4, "several lines: {text}");
    assert!(
        text.contains("reprint_min = = 0.5") && text.contains('^'),
        "{text}"
    );
}

#[test]
fn copydesk_config_shows_every_key_the_shipped_config_documents() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    let text = std::fs::read_to_string(&path).expect("shipped config");
    let table: toml::Table = toml::from_str(&text).expect("TOML");
    let shown: Vec<&str> = Settings::default().entries().iter().map(|e| e.0).collect();
    for (section, keys) in &table {
        for key in keys.as_table().expect("sections").keys() {
            let name = format!("{section}.{key}");
            assert!(
                shown.contains(&name.as_str()),
                "`copydesk config` leaves out {name}"
            );
        }
    }
    // And nothing it shows is undocumented (commented-out keys such as daemon.socket count).
    for key in shown {
        let last = key.rsplit('.').next().unwrap_or(key);
        assert!(
            text.contains(&format!("{last} =")) || text.contains(&format!("[{key}]")),
            "{key} is shown but config.toml does not document it"
        );
    }
}

#[test]
fn data_goes_to_the_users_state_folder_unless_a_config_beside_it_places_it() {
    let p = Places::new();
    let mut env = p.env();
    env.copydesk_config = None;
    // No config anywhere: the user's state folder, never the current one.
    let loaded = load(&Overrides::default(), &env).expect("loads");
    assert_eq!(loaded.settings.db, p.root.join("state/copydesk/db"));
    assert_eq!(loaded.settings.inbox, p.root.join("state/copydesk/inbox"));
    assert_eq!(loaded.origin("paths.db"), "$XDG_STATE_HOME/copydesk");
    // Without $XDG_STATE_HOME: ~/.local/state.
    let mut no_xdg = env.clone();
    no_xdg.xdg_state_home = None;
    let loaded = load(&Overrides::default(), &no_xdg).expect("loads");
    assert_eq!(
        loaded.settings.db,
        p.root.join("home/.local/state/copydesk/db")
    );
    // A user config naming only the inbox: the db goes to the state folder, the inbox where named.
    std::fs::create_dir_all(p.root.join("xdg/copydesk")).expect("mkdir");
    std::fs::write(
        p.root.join("xdg/copydesk/config.toml"),
        "[paths]\ninbox = \"/srv/inbox\"\n",
    )
    .expect("write");
    let loaded = load(&Overrides::default(), &env).expect("loads");
    assert_eq!(loaded.settings.db, p.root.join("state/copydesk/db"));
    assert_eq!(loaded.settings.inbox, PathBuf::from("/srv/inbox"));
    // A project's config in the current folder keeps its data beside it.
    std::fs::create_dir_all(p.root.join("cwd")).expect("mkdir");
    std::fs::write(p.root.join("cwd/config.toml"), "[detect]\n").expect("write");
    let loaded = load(&Overrides::default(), &env).expect("loads");
    assert_eq!(loaded.settings.db, p.root.join("cwd/db"));
    assert_eq!(loaded.origin("paths.db"), "default");
}
