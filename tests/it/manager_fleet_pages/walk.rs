//! Walking the Hosts pages (Next links) and `GET /api/v1/hosts` (Link / X-Next-After headers) in tests.

use super::*;

/// A GET through the app with `jar`, and the answer's headers (lower-case name -> value).
pub(super) async fn get_h<S, B>(
    app: &S,
    jar: &mut Jar,
    uri: &str,
) -> (Resp, std::collections::BTreeMap<String, String>)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let req = jar
        .apply(get(uri))
        .peer_addr("127.0.0.1:50000".parse().unwrap())
        .to_request();
    let r = actix_web::test::call_service(app, req).await;
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let r = resp(r).await;
    jar.absorb(&r);
    (r, headers)
}

/// An attribute value as a browser reads it (the template escapes `&`).
pub(super) fn unescaped(v: &str) -> String {
    v.replace("&#38;", "&").replace("&amp;", "&")
}

/// The `href` of the element `id` on a page.
pub(super) fn href_of(page: &Resp, id: &str) -> Option<String> {
    let at = page.body.find(&format!("id=\"{id}\""))?;
    let rest = &page.body[at..];
    let href = rest[rest.find("href=\"")? + 6..].split('"').next()?;
    Some(unescaped(href))
}

/// The Hosts pages from `uri` on, following the Next links (at most 1,000 pages).
pub(super) async fn walk_pages<S, B>(app: &S, jar: &mut Jar, uri: &str) -> Vec<Resp>
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut pages = Vec::new();
    let mut next = Some(uri.to_owned());
    while let Some(uri) = next {
        let page = send(app, jar, get(&uri)).await;
        assert_eq!(page.status, 200, "{uri}: {}", page.body);
        next = href_of(&page, "page-next");
        pages.push(page);
        assert!(pages.len() <= 1000, "the Next links never end");
    }
    pages
}

/// `GET /api/v1/hosts...` from `uri` on, following `Link: rel="next"` (checked against `X-Next-After`):
/// each page's host names and its `X-Total-Count`.
pub(super) async fn walk_api<S, B>(app: &S, jar: &mut Jar, uri: &str) -> Vec<(Vec<String>, i64)>
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut pages = Vec::new();
    let mut next = Some(uri.to_owned());
    while let Some(uri) = next {
        let (r, h) = get_h(app, jar, &uri).await;
        assert_eq!(r.status, 200, "{uri}: {}", r.body);
        let link = h.get("link").cloned().unwrap_or_default();
        next = link
            .split(", ")
            .find(|l| l.ends_with("rel=\"next\""))
            .map(|l| l[1..l.find('>').unwrap()].to_owned());
        match (&next, h.get("x-next-after")) {
            (Some(n), Some(c)) => assert!(n.contains(&format!("after={c}")), "{n} vs {c}"),
            (None, None) => {}
            other => panic!("Link and X-Next-After disagree: {other:?} ({link})"),
        }
        pages.push((names_of(&r.json()), h["x-total-count"].parse().unwrap()));
        assert!(pages.len() <= 1000, "the next links never end");
    }
    pages
}
