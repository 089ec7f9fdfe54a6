//! The OpenAPI document, generated at startup from staffdb's routes and the registered models:
//! for staffdb's own routes it says what the hand-written `src/web/openapi.json` said
//! (`openapi_before.json` is that file, as it was last committed), and a registered model's
//! routes and schemas come from its description.

use serde_json::{Value, json};

use super::model_api::ProjectServer;
use super::web::Server;
use crate::common::TestDb;

/// The hand-written document the generated one replaces.
fn before() -> Value {
    serde_json::from_str(include_str!("openapi_before.json")).expect("the old document")
}

/// Where two JSON values differ, as JSON pointers (`/paths/~1api~1stats/get/summary`).
fn differences(old: &Value, new: &Value, at: &str, found: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => differences(x, y, &here, found),
                    _ => found.push(here),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, &format!("{at}/{i}"), found);
            }
        }
        _ if old != new => found.push(at.to_owned()),
        _ => {}
    }
}

/// Where staffdb's document is made from its models' descriptions (`openapi_models.rs`), as
/// an application's models' are: the employees' and departments' routes and schemas (theirs
/// were written by hand), their history's among them. Everywhere else — statistics, import,
/// export, the login, the shared answers — the document is the hand-written one, word for word.
const GENERATED: [&str; 7] = [
    "/paths/~1api~1employees",
    "/paths/~1api~1departments",
    "/components/schemas/Employee",
    "/components/schemas/NewEmployee",
    "/components/schemas/Department",
    "/components/schemas/NewDepartment",
    "/components/schemas/Page",
];

/// What changed on purpose in the hand-written part: an import record's age is a whole number,
/// as the generic import that `/api/import` now runs reads every integer column (the
/// hand-written reader also took a string holding one).
const CHANGED: [&str; 1] = ["/components/schemas/ImportRecord/properties/age"];

/// The differences between the hand-written document and `document`, but in what is generated.
fn outside_the_generated(document: &Value) -> Vec<String> {
    let mut found = Vec::new();
    differences(&before(), document, "", &mut found);
    found.retain(|at| {
        !GENERATED.iter().any(|prefix| at.starts_with(prefix))
            && !CHANGED.iter().any(|prefix| at.starts_with(prefix))
    });
    found.sort();
    found
}

/// `staffdb serve`'s document is the hand-written one outside its models' routes; theirs are
/// the generic ones with what is each model's own: the employees' list parameters of their own
/// in the place of the generic ones of the same name, a row with the department's name, no
/// export or import routes (the employees' are `/api/export` and `/api/import`), and the
/// departments' list one array, without a page's parameters.
#[test]
fn staffdbs_own_document_is_generated_from_its_models() {
    let db = TestDb::create(staffdb::Backend::Sqlite);
    let server = Server::start(&db);
    let (status, document) = server.call("GET", "/api/openapi.json", None);
    assert_eq!(status, 200);
    let found = outside_the_generated(&document);
    assert!(found.is_empty(), "the documents differ at {found:#?}");
    let paths = &document["paths"];
    let list = &paths["/api/employees"]["get"];
    let names: Vec<&str> = list["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for own in [
        "position",
        "department",
        "min_age",
        "max_age",
        "name",
        "sort",
        "desc",
    ] {
        assert_eq!(
            names.iter().filter(|n| **n == own).count(),
            1,
            "{own}: {names:?}"
        );
    }
    for generic in [
        "limit",
        "cursor",
        "count",
        "q",
        "age",
        "department_id",
        "hired_on",
    ] {
        assert!(names.contains(&generic), "{generic}: {names:?}");
    }
    assert!(!names.contains(&"include"), "{names:?}");
    let employee = &document["components"]["schemas"]["Employee"];
    assert_eq!(
        employee["properties"]["department"]["type"],
        json!(["string", "null"])
    );
    for path in [
        "/api/employees/export",
        "/api/departments/export",
        "/api/departments/import",
    ] {
        assert!(paths[path].is_null(), "{path} is documented but not served");
    }
    let departments = &paths["/api/departments"]["get"];
    assert_eq!(
        departments["responses"]["200"]["content"]["application/json"]["schema"]["type"],
        "array"
    );
    let names = departments["parameters"].to_string();
    assert!(
        !names.contains("\"limit\"") && !names.contains("\"cursor\""),
        "{names}"
    );
    let operations: Vec<&Value> = [
        &list["operationId"],
        &paths["/api/employees/{id}"]["patch"]["operationId"],
        &paths["/api/departments/{id}"]["patch"]["operationId"],
    ]
    .into();
    assert_eq!(
        operations,
        [
            &json!("listEmployees"),
            &json!("updateEmployee"),
            &json!("updateDepartment")
        ]
    );
}

/// With `projects` registered, the document has its paths and schemas (its history's too)
/// besides staffdb's, which are as they were; the info names its routes, and it has a tag.
/// (`ProjectChange` and `ProjectChanges` are its history's, as `EmployeeChange` is.)
#[test]
fn a_registered_models_routes_and_schemas_join_the_document() {
    let db = TestDb::create(staffdb::Backend::Sqlite);
    let server = ProjectServer::start(&db);
    let (status, document) = server.call("GET", "/api/openapi.json", None);
    assert_eq!(status, 200);
    let found = outside_the_generated(&document);
    let mut expected: Vec<&str> = vec![
        "/components/schemas/NewProject",
        "/components/schemas/Project",
        "/components/schemas/ProjectChange",
        "/components/schemas/ProjectChanges",
        "/components/schemas/ProjectPage",
        "/components/schemas/ProjectPatch",
        "/info/description",
        "/paths/~1api~1projects",
        "/paths/~1api~1projects~1deleted",
        "/paths/~1api~1projects~1export",
        "/paths/~1api~1projects~1import",
        "/paths/~1api~1projects~1{id}",
        "/paths/~1api~1projects~1{id}~1history",
        "/paths/~1api~1projects~1{id}~1restore",
        "/tags",
    ];
    expected.sort();
    assert_eq!(found, expected);
    let description = document["info"]["description"].as_str().unwrap_or_default();
    assert!(description.contains("`/api/projects`"), "{description}");
    assert_eq!(document["tags"][5], json!({"name": "projects"}));
    let operations: Vec<(&str, &str)> = [
        ("/api/projects", "get"),
        ("/api/projects", "post"),
        ("/api/projects/{id}", "get"),
        ("/api/projects/{id}", "patch"),
        ("/api/projects/{id}", "delete"),
        ("/api/projects/export", "get"),
        ("/api/projects/import", "post"),
    ]
    .into_iter()
    .collect();
    let ids: Vec<&str> = operations
        .iter()
        .map(|(path, method)| {
            document["paths"][path][method]["operationId"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        ids,
        [
            "listProjects",
            "createProject",
            "getProject",
            "updateProject",
            "deleteProject",
            "exportProjects",
            "importProjects"
        ]
    );
}

/// The list, the export and the import document every parameter the description gives them:
/// a condition per filterable column and the key, typed by kind (`null` where nullable); `q`
/// over the searchable name; `sort` by each sortable column either way; `count`; and the
/// import's `upsert_on`, the unique columns.
#[test]
fn a_registered_models_query_parameters_come_from_its_description() {
    let db = TestDb::create(staffdb::Backend::Sqlite);
    let server = ProjectServer::start(&db);
    let (_, document) = server.call("GET", "/api/openapi.json", None);
    let parameter_names = |path: &str, method: &str| -> Vec<String> {
        document["paths"][path][method]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        parameter_names("/api/projects", "get"),
        [
            "limit", "cursor", "count", "q", "sort", "id", "lead_id", "budget", "include"
        ]
    );
    // `include` names the relations, comma-separated, on the list and on one row; a row may
    // then hold them (an array of employees, an employee or null), never otherwise.
    let include = |path: &str| {
        document["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "include"))
            .map(|p| (p["schema"]["items"]["enum"].clone(), p["explode"].clone()))
    };
    // The relations, and the empty name that names none (`include=`).
    let expected = Some((json!(["lead", "members", ""]), json!(false)));
    assert_eq!(include("/api/projects"), expected);
    assert_eq!(include("/api/projects/{id}"), expected);
    let row = &document["components"]["schemas"]["Project"];
    let required = row["required"].as_array().expect("required");
    assert!(!required.contains(&json!("members")), "{row}");
    let members = &row["properties"]["members"];
    assert_eq!(members["type"], json!("array"), "{members}");
    assert!(
        members["items"]["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("name")))
    );
    assert_eq!(
        row["properties"]["lead"]["anyOf"][1],
        json!({ "type": "null" })
    );
    assert_eq!(
        parameter_names("/api/projects/export", "get"),
        ["format", "q", "sort", "id", "lead_id", "budget"]
    );
    assert_eq!(
        parameter_names("/api/projects/import", "post"),
        ["upsert_on"]
    );
    let list = &document["paths"]["/api/projects"]["get"]["parameters"];
    assert_eq!(
        list[4]["schema"]["enum"],
        json!(["id", "-id", "name", "-name", "budget", "-budget"])
    );
    assert_eq!(
        list[7]["schema"],
        json!({"type": "integer", "minimum": i32::MIN, "maximum": i32::MAX})
    );
    assert_eq!(
        list[6]["schema"]["anyOf"][1],
        json!({"type": "string", "enum": ["null"]})
    );
    let upsert = &document["paths"]["/api/projects/import"]["post"]["parameters"][0];
    assert_eq!(upsert["schema"]["enum"], json!(["name"]));
    let page = &document["components"]["schemas"]["ProjectPage"];
    assert_eq!(page["properties"]["count"]["type"], "integer");
}

/// The projects' schemas say every rule of the description: the row has every column; a new
/// project needs only its name (the lead is nullable, the budget has a default), a PATCH any
/// written column and the version; text is not blank and at most 200 characters; the budget
/// is a non-negative `int32`, the lead an id from 1; nothing else is taken.
#[test]
fn a_registered_models_schemas_say_its_rules() {
    let db = TestDb::create(staffdb::Backend::Sqlite);
    let server = ProjectServer::start(&db);
    let (_, document) = server.call("GET", "/api/openapi.json", None);
    let schemas = &document["components"]["schemas"];
    let row = &schemas["Project"];
    assert_eq!(
        row["required"],
        json!(["id", "name", "lead_id", "budget", "created_at", "version"])
    );
    assert_eq!(row["properties"]["created_at"]["format"], "date-time");
    assert_eq!(
        row["properties"]["lead_id"]["type"],
        json!(["integer", "null"])
    );
    assert_eq!(row["additionalProperties"], false);
    let new = &schemas["NewProject"];
    assert_eq!(new["required"], json!(["name"]));
    let properties = new["properties"].as_object().expect("properties");
    let written: Vec<&str> = properties.keys().map(String::as_str).collect();
    let mut sorted = written.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["budget", "lead_id", "name"]);
    assert_eq!(
        (
            &new["properties"]["name"]["minLength"],
            &new["properties"]["name"]["maxLength"]
        ),
        (&json!(1), &json!(200))
    );
    assert_eq!(
        new["properties"]["name"]["pattern"],
        before()["components"]["schemas"]["NewEmployee"]["properties"]["name"]["pattern"]
    );
    let budget = &new["properties"]["budget"];
    assert_eq!(
        (&budget["type"], &budget["format"], &budget["minimum"]),
        (&json!("integer"), &json!("int32"), &json!(0))
    );
    let lead = &new["properties"]["lead_id"];
    assert_eq!(
        (&lead["type"], &lead["format"], &lead["minimum"]),
        (&json!(["integer", "null"]), &json!("int64"), &json!(1))
    );
    assert_eq!(new["additionalProperties"], false);
    let patch = &schemas["ProjectPatch"];
    assert_eq!(patch["properties"]["version"]["format"], "int32");
    assert_eq!(
        patch["anyOf"],
        json!([{"required": ["name"]}, {"required": ["lead_id"]}, {"required": ["budget"]}])
    );
    assert!(patch.get("required").is_none());
    let update = &document["paths"]["/api/projects/{id}"]["patch"];
    let statuses: Vec<&str> = update["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "200", "400", "401", "403", "404", "409", "413", "415", "421", "422"
        ]
    );
}

/// Every method the document gives a project path is served (never the "no such route" 404 or
/// a 405), and every other is refused with 405.
#[test]
fn a_registered_models_documented_methods_are_served() {
    let db = TestDb::create(staffdb::Backend::Sqlite);
    let server = ProjectServer::start(&db);
    let (_, document) = server.call("GET", "/api/openapi.json", None);
    for path in [
        "/api/projects",
        "/api/projects/{id}",
        "/api/projects/export",
        "/api/projects/import",
    ] {
        let item = &document["paths"][path];
        let url = path.replace("{id}", "999999");
        for method in ["get", "post", "patch", "delete", "put"] {
            let body = matches!(method, "post" | "patch" | "put").then(|| json!({}));
            let (status, answer) = server.call(&method.to_uppercase(), &url, body.as_ref());
            if item[method].is_object() {
                let documented = &item[method]["responses"][status.to_string()];
                assert!(
                    status != 405 && answer["error"] != "no such route" && documented.is_object(),
                    "{method} {path}: {status} {answer}"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented");
            }
        }
    }
}
