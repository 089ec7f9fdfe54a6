//! The users of `staffdb serve` and their roles (issue 26, item 1): the library's `User`, the
//! `staffdb users` commands, and the schema's own rules for a row another client writes.

use std::io::Write;

use assert_cmd::Command;
use diesel::prelude::*;
use staffdb::{Action, Error, Password, USERS_MODEL, User};

use crate::common::{TestDb, on_every_backend};

on_every_backend!(
    a_password_authenticates_its_user_only_while_enabled,
    the_built_in_roles_grant_what_djangos_would,
    a_role_of_the_databases_own_grants_per_model,
    the_schema_refuses_a_malformed_user_from_any_client,
    the_users_commands_add_list_disable_and_remove,
    a_login_session_lasts_until_logout_expiry_or_a_change_of_its_user,
    the_roles_commands_add_list_and_remove_roles_of_ones_own,
);

fn password(text: &str) -> Password {
    Password::new(text).expect("a long enough password")
}

fn a_password_authenticates_its_user_only_while_enabled(t: &TestDb) {
    let db = t.open();
    let ann = db
        .transaction(|s| User::add(s, "Ann.Lee", "editor", &password("correct horse")))
        .expect("add");
    assert_eq!(
        (ann.name.as_str(), ann.role.as_str()),
        ("ann.lee", "editor")
    );
    assert!(!ann.disabled);
    let login = |name: &str, pw: &str| {
        let mut s = db.session().expect("session");
        User::authenticate(&mut s, name, pw).expect("authenticate")
    };
    assert_eq!(login("ann.lee", "correct horse"), Some(ann.clone()));
    assert_eq!(login("ANN.LEE", "correct horse"), Some(ann.clone()));
    assert_eq!(login("ann.lee", "correct horsE"), None);
    assert_eq!(login("nobody", "correct horse"), None);
    assert_eq!(login("not a name", "correct horse"), None);
    assert_eq!(login("ann.lee", &"x".repeat(5000)), None);

    let write = |f: &dyn Fn(&mut staffdb::Session) -> staffdb::Result<User>| db.transaction(f);
    write(&|s| User::set_disabled(s, "ann.lee", true)).expect("disable");
    assert_eq!(login("ann.lee", "correct horse"), None);
    write(&|s| User::set_disabled(s, "ann.lee", false)).expect("enable");
    write(&|s| User::set_password(s, "ann.lee", &password("battery staple"))).expect("passwd");
    assert_eq!(login("ann.lee", "correct horse"), None);
    assert!(login("ann.lee", "battery staple").is_some());

    // Only the hash is stored, salted: two users with one password have two hashes.
    write(&|s| User::add(s, "bob", "viewer", &password("battery staple"))).expect("bob");
    let mut s = db.session().expect("session");
    let hashes: Vec<String> = s
        .run(|c| {
            staffdb::with_connection!(c, |c| staffdb::schema::staffdb_users::table
                .select(staffdb::schema::staffdb_users::password_hash)
                .load(c))
        })
        .expect("hashes");
    drop(s);
    assert_eq!(hashes.len(), 2);
    assert!(
        hashes.iter().all(|h| h.starts_with("$argon2id$")),
        "{hashes:?}"
    );
    assert!(hashes.iter().all(|h| !h.contains("battery")));
    assert_ne!(hashes[0], hashes[1]);

    match write(&|s| User::add(s, "BOB", "viewer", &password("anything long"))) {
        Err(Error::UniqueViolation { detail, .. }) => {
            assert_eq!(detail.as_deref(), Some("a user named `bob` already exists"));
        }
        other => panic!("expected a unique violation, got {other:?}"),
    }
    match write(&|s| User::remove(s, "carol")) {
        Err(Error::NoSuchName { entity, name }) => assert_eq!((entity, &*name), ("user", "carol")),
        other => panic!("expected NoSuchName, got {other:?}"),
    }
    assert_eq!(
        write(&|s| User::remove(s, "bob")).expect("remove").name,
        "bob"
    );
    let all = User::all(&mut db.session().expect("session")).expect("all");
    let names: Vec<String> = all.into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["ann.lee"]);
}

fn the_built_in_roles_grant_what_djangos_would(t: &TestDb) {
    let db = t.open();
    for (role, models, actions) in [
        (
            "viewer",
            &["employees", "projects"][..],
            &[Action::View][..],
        ),
        ("editor", &["employees", "projects"], &Action::ALL),
        (
            "admin",
            &["employees", "projects", USERS_MODEL],
            &Action::ALL,
        ),
    ] {
        let user = db
            .transaction(|s| User::add(s, role, role, &password("a long password")))
            .expect("add");
        let may = User::permissions(&mut db.session().expect("session"), &user).expect("may");
        for model in ["employees", "projects", "departments", USERS_MODEL] {
            for action in Action::ALL {
                let granted = (models.contains(&model) || (model == "departments"))
                    && actions.contains(&action);
                assert_eq!(
                    may.allows(model, action),
                    granted,
                    "{role} {action} {model}"
                );
            }
        }
    }
    match db.transaction(|s| User::add(s, "dan", "boss", &password("a long password"))) {
        Err(Error::Validation { field, reason, .. }) => {
            assert_eq!(field, "role");
            assert!(reason.contains("viewer, editor, admin"), "{reason}");
        }
        other => panic!("expected an unknown role, got {other:?}"),
    }
}

/// A role another client stores (as Django's groups are made in its admin) with grants on
/// single models.
fn a_role_of_the_databases_own_grants_per_model(t: &TestDb) {
    let db = t.open();
    let mut s = db.session().expect("session");
    s.run(|c| {
        use staffdb::schema::{staffdb_role_permissions as p, staffdb_roles as r};
        staffdb::with_connection!(c, |c| {
            diesel::insert_into(r::table)
                .values(r::name.eq("auditor"))
                .execute(c)?;
            let id: i64 = r::table
                .filter(r::name.eq("auditor"))
                .select(r::id)
                .first(c)?;
            diesel::insert_into(p::table)
                .values(vec![
                    (
                        p::role_id.eq(id),
                        p::model.eq("projects"),
                        p::action.eq("view"),
                    ),
                    (
                        p::role_id.eq(id),
                        p::model.eq("projects"),
                        p::action.eq("change"),
                    ),
                ])
                .execute(c)
        })
    })
    .expect("a role with two grants");
    let eve = User::add(&mut s, "eve", "auditor", &password("a long password")).expect("add");
    assert_eq!(eve.role, "auditor");
    let may = User::permissions(&mut s, &eve).expect("permissions");
    assert!(may.allows("projects", Action::View));
    assert!(may.allows("projects", Action::Change));
    assert!(!may.allows("projects", Action::Delete));
    assert!(!may.allows("employees", Action::View));
}

/// The rules hold for whoever writes: a name with a capital or a space, a password stored as
/// itself, a grant of an action that is none of the four.
fn the_schema_refuses_a_malformed_user_from_any_client(t: &TestDb) {
    let db = t.open();
    let hash =
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    for (name, stored) in [
        ("Ann", hash),
        ("ann lee", hash),
        ("", hash),
        ("ann", "hunter22"),
    ] {
        let mut s = db.session().expect("session");
        let inserted = s.run(|c| {
            use staffdb::schema::staffdb_users as u;
            staffdb::with_connection!(c, |c| diesel::insert_into(u::table)
                .values((
                    u::name.eq(name),
                    u::password_hash.eq(stored),
                    u::role_id.eq(1_i64)
                ))
                .execute(c))
        });
        assert!(inserted.is_err(), "{name:?} {stored:?} was stored");
    }
    let mut s = db.session().expect("session");
    let granted = s.run(|c| {
        use staffdb::schema::staffdb_role_permissions as p;
        staffdb::with_connection!(c, |c| diesel::insert_into(p::table)
            .values((
                p::role_id.eq(1_i64),
                p::model.eq("employees"),
                p::action.eq("own")
            ))
            .execute(c))
    });
    assert!(granted.is_err(), "a grant of `own` was stored");
    drop(s);
    assert!(
        User::all(&mut db.session().expect("session"))
            .expect("all")
            .is_empty()
    );
}

/// `staffdb users …`: the password from stdin or a file, never an argument; bad input exits 2
/// and an unknown user 1, and neither changes anything.
fn the_users_commands_add_list_disable_and_remove(t: &TestDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str], stdin: &str| {
        Command::new(assert_cmd::cargo::cargo_bin!("staffdb"))
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .args(["--database-url", &t.url, "users"])
            .args(args)
            .write_stdin(stdin)
            .output()
            .expect("run staffdb")
    };
    let ok = |args: &[&str], stdin: &str| {
        let out = run(args, stdin);
        assert!(out.status.success(), "{args:?}: {out:?}");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let fails = |args: &[&str], stdin: &str, code: i32| {
        let out = run(args, stdin);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert_eq!(
        ok(&["add", "Ann", "--role", "viewer"], "correct horse\n").1,
        "added user ann (viewer)\n"
    );
    let file = dir.path().join("pw");
    std::fs::File::create(&file)
        .and_then(|mut f| f.write_all(b"battery staple\r\nignored\n"))
        .expect("password file");
    let file = file.display().to_string();
    ok(
        &["add", "bob", "--role", "admin", "--password-file", &file],
        "",
    );
    let listed = ok(&["list"], "").0;
    let rows: Vec<Vec<&str>> = listed
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["name", "role", "status", "added"]);
    assert_eq!(rows[1][..3], ["ann", "viewer", "active"]);
    assert_eq!(rows[2][..3], ["bob", "admin", "active"]);
    assert_eq!(rows.len(), 3);

    let unchanged = || ok(&["list"], "").0;
    assert!(
        fails(&["add", "ann", "--role", "editor"], "another one\n", 1)
            .contains("a user named `ann` already exists")
    );
    assert!(
        fails(&["add", "cy", "--role", "boss"], "another one\n", 2)
            .contains("give one of viewer, editor, admin")
    );
    assert!(
        fails(&["add", "cy", "--role", "viewer"], "short\n", 2).contains("at least 8 characters")
    );
    assert!(fails(&["add", "cy", "--role", "viewer"], "", 2).contains("no password"));
    assert!(fails(&["add", "c y", "--role", "viewer"], "long enough\n", 2).contains("user name"));
    assert!(
        fails(
            &[
                "add",
                "cy",
                "--role",
                "viewer",
                "--password-file",
                "/nonexistent"
            ],
            "",
            2
        )
        .contains("/nonexistent")
    );
    assert!(fails(&["disable", "carol"], "", 1).contains("no user named `carol`"));
    assert!(fails(&["passwd", "carol"], "long enough\n", 1).contains("no user named `carol`"));
    assert_eq!(unchanged(), listed);

    let db = t.open();
    let login = |pw: &str| {
        let mut s = db.session().expect("session");
        User::authenticate(&mut s, "ann", pw)
            .expect("auth")
            .is_some()
    };
    ok(
        &["passwd", "ann", "--password-file", "-"],
        "a new password\n",
    );
    assert!(login("a new password"));
    assert_eq!(ok(&["disable", "ann"], "").1, "disabled ann\n");
    assert!(!login("a new password"));
    assert!(ok(&["list"], "").0.contains("disabled"));
    ok(&["enable", "ann"], "");
    assert!(login("a new password"));
    assert_eq!(ok(&["remove", "bob"], "").1, "removed bob\n");
    assert_eq!(ok(&["list"], "").0.lines().count(), 2);
}

/// A login session is found by its token while it lives; it ends at logout, after its idle time
/// or its lifetime, and at once when its user is disabled, given a new password or removed. The
/// database keeps only a hash of the token.
fn a_login_session_lasts_until_logout_expiry_or_a_change_of_its_user(t: &TestDb) {
    use staffdb::schema::staffdb_sessions as sessions;
    let db = t.open();
    let ann = db
        .transaction(|s| User::add(s, "ann", "editor", &password("correct horse")))
        .expect("add");
    let begin = || {
        db.transaction(|s| User::begin_session(s, &ann))
            .expect("begin")
    };
    let who = |token: &str| {
        let mut s = db.read_session().expect("a read session will do");
        User::by_session(&mut s, token)
            .expect("by session")
            .map(|u| u.name)
    };
    let rows = || -> i64 {
        let mut s = db.session().expect("session");
        s.run(|c| staffdb::with_connection!(c, |c| sessions::table.count().get_result(c)))
            .expect("count")
    };
    let age = |column: &str, hours: i64| {
        let then = chrono::Utc::now().naive_utc() - chrono::TimeDelta::hours(hours);
        db.transaction(|s| {
            s.run(|c| {
                staffdb::with_connection!(c, |c| match column {
                    "created_at" => diesel::update(sessions::table)
                        .set(sessions::created_at.eq(then))
                        .execute(c),
                    _ => diesel::update(sessions::table)
                        .set(sessions::last_seen_at.eq(then))
                        .execute(c),
                })
            })
        })
        .expect("age the session");
    };

    let token = begin();
    assert_eq!(token.len(), 64);
    assert_eq!(who(&token).as_deref(), Some("ann"));
    let stored: String = db
        .session()
        .expect("session")
        .run(|c| {
            staffdb::with_connection!(c, |c| sessions::table.select(sessions::token_hash).first(c))
        })
        .expect("the stored hash");
    assert_ne!(stored, token, "the token itself is not stored");
    assert_eq!(who(&stored), None, "the stored hash is no way in");
    for forged in [
        "",
        "x",
        &"0".repeat(64),
        &token[..63],
        &token.to_uppercase(),
    ] {
        assert_eq!(who(forged), None, "{forged:?}");
    }
    db.transaction(|s| User::end_session(s, &token))
        .expect("log out");
    assert_eq!(who(&token), None);

    let token = begin();
    age("last_seen_at", 1);
    assert_eq!(who(&token).as_deref(), Some("ann"), "idle for an hour");
    db.transaction(|s| User::note_session(s, &token))
        .expect("a request");
    age("last_seen_at", 3);
    assert_eq!(who(&token), None, "idle for 3 hours");
    let token = begin();
    assert_eq!(rows(), 1, "a login clears away the sessions that ended");
    db.transaction(|s| User::note_session(s, &token))
        .expect("a request");
    age("created_at", 13);
    assert_eq!(who(&token), None, "begun 13 hours ago, busy since");

    for end in ["disable", "passwd", "remove"] {
        let (token, other) = (begin(), begin());
        db.transaction(|s| match end {
            "disable" => User::set_disabled(s, "ann", true),
            "passwd" => User::set_password(s, "ann", &password("battery staple")),
            _ => User::remove(s, "ann"),
        })
        .expect(end);
        assert_eq!((who(&token), who(&other)), (None, None), "after {end}");
        assert_eq!(rows(), 0, "after {end}");
        if end == "disable" {
            db.transaction(|s| User::set_disabled(s, "ann", false))
                .expect("enable");
            assert_eq!(who(&token), None, "enabling brings no session back");
        }
    }
}

/// `staffdb roles`: a role of one's own with per-model grants, listed with the built-in ones;
/// malformed grants exit 2 and change nothing; a built-in role, and one a user has, are not
/// removed (exit 1).
fn the_roles_commands_add_list_and_remove_roles_of_ones_own(t: &TestDb) {
    let run = |args: &[&str]| {
        let out = Command::new(assert_cmd::cargo::cargo_bin!("staffdb"))
            .env_remove("DATABASE_URL")
            .args(["--database-url", &t.url])
            .args(args)
            .write_stdin("correct horse battery\n")
            .output()
            .expect("run staffdb");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let grants = [
        "--grant",
        "projects:view,change",
        "--grant",
        "employees:view",
    ];
    let (code, _, note) = run(&[&["roles", "add", "auditor"][..], &grants].concat());
    assert_eq!(code, Some(0), "{note}");
    assert_eq!(
        note,
        "added role auditor: employees:view projects:change,view\n"
    );
    let (_, listed, _) = run(&["roles", "list"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 4, "{listed}");
    assert!(
        lines[0].starts_with("viewer ") && lines[0].ends_with("*:view"),
        "{listed}"
    );
    assert!(lines[3].starts_with("auditor "), "{listed}");
    for (args, code, said) in [
        (
            &["roles", "add", "x", "--grant", "employees:own"][..],
            2,
            "not view, add, change or delete",
        ),
        (
            &["roles", "add", "x", "--grant", "employees"],
            2,
            "MODEL:ACTIONS",
        ),
        (
            &["roles", "add", "X Y", "--grant", "employees:view"],
            2,
            "role name",
        ),
        (
            &["roles", "add", "auditor", "--grant", "employees:view"],
            1,
            "already exists",
        ),
        (&["roles", "remove", "viewer"], 1, "built in"),
        (&["roles", "remove", "nobody"], 2, "no role named `nobody`"),
    ] {
        let (got, _, error) = run(args);
        assert_eq!(got, Some(code), "{args:?}: {error}");
        assert!(error.contains(said), "{args:?}: {error}");
    }
    assert_eq!(run(&["roles", "list"]).1, listed, "nothing changed");

    assert_eq!(run(&["users", "add", "al", "--role", "auditor"]).0, Some(0));
    let db = t.open();
    let al = User::all(&mut db.session().expect("session")).expect("all");
    let may = User::permissions(&mut db.session().expect("session"), &al[0]).expect("may");
    assert!(may.allows("projects", Action::Change) && !may.allows("employees", Action::Change));
    let (code, _, error) = run(&["roles", "remove", "auditor"]);
    assert_eq!(code, Some(1), "{error}");
    assert!(
        error.contains("1 user(s) have the role `auditor`"),
        "{error}"
    );
    assert_eq!(run(&["users", "remove", "al"]).0, Some(0));
    assert_eq!(run(&["roles", "remove", "auditor"]).0, Some(0));
    assert_eq!(run(&["roles", "list"]).1.lines().count(), 3);
}
