//! Courts, accounts and tokens at the console (the system administrator's duties; changes that
//! need a second person are asked for, not made).

use anyhow::Context;
use liuhen_rules::{CourtLevel, Listed, Role};
use liuhen_store::{NewCourt, NewUser, Store};

use super::{Cli, TokenCommand, settings, with_store};

/// `liuhen court-add`.
pub(super) async fn court_add(
    cli: &Cli,
    id: &str,
    name: &str,
    level: &str,
    parent: Option<&str>,
    code: &str,
) -> anyhow::Result<()> {
    let s = settings(cli)?;
    let store = liuhen::storage::open(s.store_config()?).await?;
    let level =
        CourtLevel::from_code(level).with_context(|| format!("法院层级应为 {}", CourtLevel::codes().join(", ")))?;
    store.console().add_court(&NewCourt::new(id, name, level, parent, code)).await?;
    println!("已添加法院 {name} ({id})");
    store.close().await;
    Ok(())
}

/// `liuhen user-add`: the password from LIUHEN_NEW_PASSWORD or standard input.
pub(super) async fn user_add(
    cli: &Cli,
    username: &str,
    name: &str,
    court: &str,
    role: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let s = settings(cli)?;
    let store = liuhen::storage::open(s.store_config()?).await?;
    let role = Role::from_code(role).with_context(|| format!("角色应为 {}", Role::codes().join(", ")))?;
    let password = new_password()?;
    let change = store
        .console()
        .add_user(NewUser {
            username: username.to_string(),
            display_name: name.to_string(),
            court_id: court.to_string(),
            role,
            password,
            reason: reason.to_string(),
        })
        .await
        .map_err(explain)?;
    print_change(&change, &format!("已添加用户 {username} ({})", role.zh()));
    store.close().await;
    Ok(())
}

/// `liuhen user-password`.
pub(super) async fn user_password(cli: &Cli, username: &str, reason: &str) -> anyhow::Result<()> {
    let password = new_password()?;
    let change = with_store(cli, async |store| {
        store.console().reset_password(username, &password, reason).await.map_err(explain)
    })
    .await?;
    print_change(&change, &format!("已为 {username} 设置新密码，其所有会话已结束 (password set; every session ended)"));
    Ok(())
}

/// `liuhen user-role`.
pub(super) async fn user_role(cli: &Cli, username: &str, role: &str, reason: &str) -> anyhow::Result<()> {
    let role = Role::from_code(role).with_context(|| format!("角色应为 {}", Role::codes().join(", ")))?;
    let change =
        with_store(cli, async |store| store.console().set_role(username, role, reason).await.map_err(explain)).await?;
    print_change(&change, &format!("{username} 现为{}，其会话已结束 (role changed; sessions ended)", role.zh()));
    Ok(())
}

/// `liuhen user-disable`.
pub(super) async fn user_disable(cli: &Cli, username: &str) -> anyhow::Result<()> {
    with_store(cli, async |store| store.console().disable_user(username).await.map_err(explain)).await?;
    println!("已停用 {username}：不能再登录，会话已结束，令牌已撤销 (disabled)");
    Ok(())
}

/// `liuhen user-reset-totp`.
pub(super) async fn user_reset_totp(cli: &Cli, username: &str, reason: &str) -> anyhow::Result<()> {
    let change =
        with_store(cli, async |store| store.console().reset_second_factor(username, reason).await.map_err(explain))
            .await?;
    print_change(
        &change,
        &format!(
            "已清除 {username} 的第二因素，请其用启用码重新设置 (second factor removed; the user sets up a new one with an enrolment code: liuhen user-enrolment-code)"
        ),
    );
    Ok(())
}

/// `liuhen user-enrolment-code`.
pub(super) async fn user_enrolment_code(cli: &Cli, username: &str) -> anyhow::Result<()> {
    let code = with_store(cli, async |store| store.console().enrolment_code(username).await.map_err(explain)).await?;
    println!("{username} 的一次性启用码（7 天内有效，请当面交给本人）: {code}");
    println!("(one-time enrolment code, good for 7 days; hand it to the person)");
    Ok(())
}

/// `liuhen user-unlock`.
pub(super) async fn user_unlock(cli: &Cli, username: &str) -> anyhow::Result<()> {
    let unlocked = with_store(cli, async |store| Ok(store.console().unlock_user(username).await?)).await?;
    anyhow::ensure!(unlocked, "没有用户 {username} (no such user)");
    println!("已解锁 {username}");
    Ok(())
}

pub(super) async fn token_command(store: &Store, command: &TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Issue { username, name, scopes, days } => {
            let (token, listed) = store.console().issue_token(username, name, scopes, *days).await.map_err(explain)?;
            let scopes: Vec<&str> = listed.scopes.iter().map(|p| p.code()).collect();
            println!("令牌（只显示这一次，请妥善保存）(the token, shown this once):\n{token}");
            println!("id {} · {} · {} · {}", listed.id, listed.username, listed.name, scopes.join(", "));
        }
        TokenCommand::List => {
            for t in store.tokens().await? {
                let state = match (t.revoked_at, t.expires_at) {
                    (Some(at), _) => format!("已撤销 revoked {}", liuhen_rules::period::format_cst(at)),
                    (None, Some(at)) => format!("有效至 until {}", liuhen_rules::period::format_cst(at)),
                    (None, None) => "长期有效 no expiry".to_string(),
                };
                let scopes: Vec<&str> = t.scopes.iter().map(|p| p.code()).collect();
                println!("{}  {}  {}  [{}]  {state}", t.id, t.username, t.name, scopes.join(", "));
            }
        }
        TokenCommand::Revoke { id } => {
            anyhow::ensure!(
                store.console().revoke_token(id).await?,
                "没有未撤销的令牌 {id} (no live token with that id)"
            );
            println!("已撤销 {id}");
        }
    }
    Ok(())
}

/// A new password from LIUHEN_NEW_PASSWORD, or the first line of standard input.
pub(super) fn new_password() -> anyhow::Result<String> {
    Ok(match std::env::var("LIUHEN_NEW_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    })
}

/// A store refusal as lines a person can act on.
pub(super) fn explain(e: liuhen_store::StoreError) -> anyhow::Error {
    match e {
        liuhen_store::StoreError::Invalid(problems) => anyhow::anyhow!(
            "{}",
            problems.iter().map(|p| format!("{}: {} ({})", p.field, p.zh, p.en)).collect::<Vec<_>>().join("\n")
        ),
        other => other.into(),
    }
}

/// What a change that may need a second person came to, for the console.
pub(super) fn print_change(change: &liuhen_store::Change, made: &str) {
    match change {
        liuhen_store::Change::Made => println!("{made}"),
        liuhen_store::Change::AwaitsApproval(id) => println!(
            "已提交安全保密管理员批准（双人规则），批准后生效；申请编号 {id}\n(asked of the security administrator under the two-person rule; it takes effect when approved; request {id})"
        ),
    }
}
