//! Several hosts in one server URL (`postgres://u:p@h1:5442,h2:5443/db`, and the same for
//! `mysql://`): the order to try them in, and one URL per host for a driver that takes one.

/// The URL parameter that asks for the hosts of a several-host URL in a random order per
/// connection (libpq 16's name), instead of in turn from the first.
const LOAD_BALANCE: &str = "load_balance_hosts";

/// A server URL as one URL per host, in the order to try them: `mysql://u:p@h1:3311,h2:3312/db`
/// gives `mysql://u:p@h1:3311/db` then `mysql://u:p@h2:3312/db`. A URL of one host gives itself.
/// With `load_balance_hosts=random` (which is taken out of every URL) the order is shuffled, so
/// that a pool's connections spread over the hosts while each still fails over to the others.
// Only MySQL connects host by host (libpq does it for PostgreSQL).
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
pub(crate) fn per_host(url: &str) -> Vec<String> {
    let (url, balance) = take_parameter(url, LOAD_BALANCE);
    let Some((before, hosts, after)) = split_hosts(&url) else {
        return vec![url];
    };
    let mut urls: Vec<String> = hosts
        .split(',')
        .map(|host| format!("{before}{host}{after}"))
        .collect();
    if balance.as_deref() == Some("random") {
        fastrand::shuffle(&mut urls);
    }
    urls
}

/// A server URL with several hosts in the order to try them, for a driver that tries them
/// itself (libpq): `load_balance_hosts=random` is taken out and applied by shuffling the list.
pub(crate) fn hosts_in_order(url: &str) -> String {
    let (url, balance) = take_parameter(url, LOAD_BALANCE);
    match split_hosts(&url) {
        Some((before, hosts, after)) if balance.as_deref() == Some("random") => {
            let mut hosts: Vec<&str> = hosts.split(',').collect();
            fastrand::shuffle(&mut hosts);
            format!("{before}{}{after}", hosts.join(","))
        }
        _ => url,
    }
}

/// True when `url` names more than one host.
pub(crate) fn has_several(url: &str) -> bool {
    split_hosts(url).is_some_and(|(_, hosts, _)| hosts.contains(','))
}

/// The TCP ports a PostgreSQL URL's hosts name (5432 where a host names none), or `None` when
/// the URL may reach a Unix socket or names its hosts or ports in its query, where this does
/// not look.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn tcp_ports(url: &str) -> Option<Vec<u16>> {
    let (_, hosts, after) = split_hosts(url)?;
    let query = after.split_once('?').map_or("", |(_, q)| q);
    if query
        .split('&')
        .any(|pair| ["host", "hostaddr", "port"].contains(&pair.split('=').next().unwrap_or("")))
    {
        return None;
    }
    hosts
        .split(',')
        .map(|host| {
            if host.is_empty() || host.starts_with('/') || host.starts_with('%') {
                return None; // no host, or a socket directory: libpq's Unix socket
            }
            let port = match host.rsplit_once(':') {
                Some((name, port)) if !name.is_empty() && !port.contains(']') => port,
                _ => return Some(5432),
            };
            port.parse().ok()
        })
        .collect()
}

/// `url` cut around its host list: the text before it, the list (`h1:5442,h2:5443`), the rest.
///
/// The list starts after the *last* `@` of the URL: a password may hold `?`, `/`, `,` or `@`
/// unencoded, and no part of it may ever land in the host list, where it would be split into
/// fragments that the redaction of the whole password would not catch (found by the property
/// test of the binary's URLs).
fn split_hosts(url: &str) -> Option<(&str, &str, &str)> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let start = scheme_end + rest.rfind('@').map_or(0, |at| at + 1);
    let end = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |offset| start + offset);
    Some((&url[..start], &url[start..end], &url[end..]))
}

/// `url` without its query parameter `name` (staffdb's wait for a writable primary, which no
/// driver knows), and the wait it asks for: `30`, `2.5` or `30s` seconds; the reason when the
/// value is none of those.
pub(crate) fn take_wait_for_primary(
    url: &str,
    name: &str,
) -> Result<(String, Option<std::time::Duration>), String> {
    let (rest, value) = take_parameter(url, name);
    let Some(value) = value else {
        return Ok((rest, None));
    };
    let number = value.trim().strip_suffix('s').unwrap_or(value.trim());
    let wait = number
        .parse::<f64>()
        .ok()
        .and_then(|seconds| std::time::Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("{name}={value}: give seconds, as {name}=30"))?;
    Ok((rest, Some(wait)))
}

/// `url` without the query parameter `name`, and that parameter's value.
pub(crate) fn take_parameter(url: &str, name: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut value = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some((key, v)) if key == name => {
                value = Some(v.to_owned());
                false
            }
            _ => true,
        })
        .collect();
    if kept.is_empty() {
        (base.to_owned(), value)
    } else {
        (format!("{base}?{}", kept.join("&")), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `wait_for_primary=SECONDS` is taken out of a server URL (libpq would refuse it) and read
    /// as the wait; a value that is not seconds is refused.
    #[test]
    fn wait_for_primary_parameter_is_taken_out_of_the_url() {
        let name = "wait_for_primary";
        let (url, wait) = take_wait_for_primary(
            "postgres://u:pw@h1,h2/db?wait_for_primary=30&sslmode=disable",
            name,
        )
        .expect("a good URL");
        assert_eq!(url, "postgres://u:pw@h1,h2/db?sslmode=disable");
        assert_eq!(wait, Some(std::time::Duration::from_secs(30)));
        let (_, wait) =
            take_wait_for_primary("postgres://h/db?wait_for_primary=2.5s", name).expect("ok");
        assert_eq!(wait, Some(std::time::Duration::from_millis(2500)));
        for bad in ["-1", "soon", "inf"] {
            let url = format!("postgres://h/db?wait_for_primary={bad}");
            assert!(take_wait_for_primary(&url, name).is_err(), "{bad}");
        }
        let (url, wait) = take_wait_for_primary("postgres://h/db", name).expect("none asked");
        assert_eq!((url.as_str(), wait), ("postgres://h/db", None));
    }

    /// A URL of several hosts is tried one host at a time; its password stays in each.
    #[test]
    fn splits_several_hosts() {
        assert_eq!(
            per_host("mysql://u:p@h1:3311,h2:3312,h3/db?ssl_mode=disabled"),
            [
                "mysql://u:p@h1:3311/db?ssl_mode=disabled",
                "mysql://u:p@h2:3312/db?ssl_mode=disabled",
                "mysql://u:p@h3/db?ssl_mode=disabled"
            ]
        );
        assert_eq!(per_host("mysql://h/db"), ["mysql://h/db"]);
        let mut balanced = per_host("mysql://u:p@h1,h2,h3/db?load_balance_hosts=random");
        balanced.sort();
        assert_eq!(
            balanced,
            [
                "mysql://u:p@h1/db",
                "mysql://u:p@h2/db",
                "mysql://u:p@h3/db"
            ]
        );
        assert_eq!(
            hosts_in_order("postgres://u:p@h1:5442,h2:5443/db?connect_timeout=2"),
            "postgres://u:p@h1:5442,h2:5443/db?connect_timeout=2"
        );
        // A password holding `?` and `,` stays whole in every URL.
        assert_eq!(
            per_host("mysql://u:p?w,x@h1,h2/db"),
            ["mysql://u:p?w,x@h1/db", "mysql://u:p?w,x@h2/db"]
        );
        assert_eq!(
            tcp_ports("postgres://u:p@h1:6432,h2/db?pool_mode=transaction"),
            Some(vec![6432, 5432])
        );
        assert_eq!(tcp_ports("postgres://u@[::1]:5442/db"), Some(vec![5442]));
        assert_eq!(tcp_ports("postgres://u@%2Fvar%2Frun/db"), None);
        assert_eq!(tcp_ports("postgres://u@/db?host=/tmp"), None);
        let shuffled = hosts_in_order("postgres://u@a,b/db?load_balance_hosts=random&x=1");
        assert!(
            ["postgres://u@a,b/db?x=1", "postgres://u@b,a/db?x=1"].contains(&shuffled.as_str()),
            "{shuffled}"
        );
    }
}
