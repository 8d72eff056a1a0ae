#include "app/admin_api.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "app/lockout_guard.h"
#include "app/odata_query.h"
#include "app/sign_in_evaluation.h"
#include "ca/authentication_strength.h"
#include "ca/decision_json.h"
#include "ca/policy_codec.h"
#include "ca/sign_in_log.h"
#include "ca/sign_in_request.h"
#include "core/iso_time.h"
#include "core/json_document.h"
#include "core/text.h"
#include "crypto/crypto.h"
#include "directory/directory_codec.h"
#include "idp/credentials.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

using nlohmann::json;
using http::HttpRequest;
using http::HttpResponse;

constexpr const char* kGraphContext = "https://graph.microsoft.com/v1.0/$metadata#";

// The next page's link keeps the caller's $filter and $top.
std::string NextLink(const std::string& path, const HttpRequest& request, int top,
                     std::int64_t skip_token) {
  std::string link = path + "?$top=" + std::to_string(top) + "&$skiptoken=" + std::to_string(skip_token);
  if (auto f = request.query.find("$filter"); f != request.query.end()) {
    link += "&$filter=" + core::PercentEncode(f->second);
  }
  return link;
}

HttpResponse JsonResponse(int status, const json& body) {
  return HttpResponse::Json(status, body.dump());
}

HttpResponse ValidationProblem(const core::ProblemList& problems) {
  json errors = json::array();
  std::string first;
  for (const auto& p : problems.problems()) {
    if (p.severity != core::Severity::kError) continue;
    if (first.empty()) first = (p.pointer.empty() ? "" : p.pointer + ": ") + p.message;
    errors.push_back({{"pointer", p.pointer}, {"detail", p.message}});
  }
  json warnings = json::array();
  for (const auto& p : problems.problems()) {
    if (p.severity == core::Severity::kWarning) {
      warnings.push_back({{"pointer", p.pointer}, {"detail", p.message}});
    }
  }
  return http::Problem(400, "The request body is not valid", first,
                       json{{"errors", errors}, {"warnings", warnings}}.dump());
}

// Parses the request body as a JSON object (400 problem otherwise).
std::optional<json> BodyObject(const HttpRequest& request, HttpResponse& error) {
  auto doc = core::ParseJsonDocument(request.body);
  if (!doc.ok()) {
    error = http::Problem(400, "The request body is not JSON", std::string(doc.status().message()));
    return std::nullopt;
  }
  if (!doc->is_object()) {
    error = http::Problem(400, "The request body is not valid", "expected a JSON object");
    return std::nullopt;
  }
  return std::move(*doc);
}

// RFC 7386 JSON merge patch.
void MergePatch(json& target, const json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(key);
    } else {
      MergePatch(target[key], value);
    }
  }
}

struct Collection {
  std::string path;
  store::ObjectKind kind;
  std::string read_scope, write_scope;
  std::string odata_type;     // "#microsoft.graph.user"
  std::string context_name;   // "users", "identity/conditionalAccess/policies"
  std::string audit_category;
  std::string noun;           // "policy", "user", ...
  std::string id_field = "id";
  bool timestamps = false;
  void (*validate)(const json&, core::ProblemList&) = nullptr;
};

void ValidatePolicy(const json& doc, core::ProblemList& problems) {
  ca::ParsePolicy(doc, "", problems);
}
void ValidateNamedLocation(const json& doc, core::ProblemList& problems) {
  (void)location::ParseNamedLocation(doc, problems);
}
void ValidateStrength(const json& doc, core::ProblemList& problems) {
  auto strength = ca::ParseAuthenticationStrength(doc, problems);
  if (strength.ok() && strength->built_in) {
    problems.AddError("/policyType", "built-in authentication strengths are read-only");
  }
}
template <void (*Read)(const json&, directory::DirectoryBuilder&, core::ProblemList&)>
void ValidateDirectoryObject(const json& doc, core::ProblemList& problems) {
  directory::DirectoryBuilder builder;
  Read(doc, builder, problems);
}

// Takes Graph's passwordProfile.password out of a user body (it is never stored in the body nor
// returned): nullopt when absent; "error" set when it is not a valid password.
std::optional<std::string> TakePassword(json& doc, std::optional<HttpResponse>& error) {
  auto profile = doc.find("passwordProfile");
  if (profile == doc.end() || !profile->is_object()) return std::nullopt;
  auto password = profile->find("password");
  if (password == profile->end()) return std::nullopt;
  if (password->is_null()) {
    profile->erase(password);
    return std::nullopt;
  }
  if (!password->is_string()) {
    core::ProblemList p;
    p.AddError("/passwordProfile/password", "expected a string");
    error = ValidationProblem(p);
    return std::nullopt;
  }
  std::string value = password->get<std::string>();
  profile->erase(password);
  if (profile->empty()) doc.erase("passwordProfile");
  if (absl::Status valid = idp::ValidatePassword(value); !valid.ok()) {
    core::ProblemList p;
    p.AddError("/passwordProfile/password", std::string(valid.message()));
    error = ValidationProblem(p);
    return std::nullopt;
  }
  return value;
}

// OIDC redirect URIs of an application (web, spa, publicClient): absolute, no fragment, at most
// 256 characters; web and spa need https, or http on a loopback host.
void ValidateRedirectUris(const json& doc, core::ProblemList& problems) {
  for (const char* platform : {"web", "spa", "publicClient"}) {
    auto it = doc.find(platform);
    if (it == doc.end() || it->is_null()) continue;
    const std::string pointer = std::string("/") + platform + "/redirectUris";
    if (!it->is_object()) {
      problems.AddError(std::string("/") + platform, "expected an object");
      continue;
    }
    auto uris = it->find("redirectUris");
    if (uris == it->end() || uris->is_null()) continue;
    if (!uris->is_array()) {
      problems.AddError(pointer, "expected an array of URIs");
      continue;
    }
    for (std::size_t i = 0; i < uris->size(); ++i) {
      const json& u = (*uris)[i];
      const std::string at = pointer + "/" + std::to_string(i);
      if (!u.is_string()) {
        problems.AddError(at, "expected a URI");
        continue;
      }
      const std::string uri = u.get<std::string>();
      const auto scheme_end = uri.find("://");
      if (uri.size() > 256 || scheme_end == std::string::npos || scheme_end == 0 ||
          uri.find('#') != std::string::npos || uri.find_first_of(" \t\r\n") != std::string::npos) {
        problems.AddError(at, "'" + uri.substr(0, 256) +
                                  "' is not an absolute URI without fragment (at most 256 characters)");
        continue;
      }
      const std::string scheme = absl::AsciiStrToLower(uri.substr(0, scheme_end));
      if (std::string(platform) != "publicClient" && scheme != "https") {
        const std::string rest = uri.substr(scheme_end + 3);
        const bool loopback = absl::StartsWith(rest, "localhost") || absl::StartsWith(rest, "127.0.0.1") ||
                              absl::StartsWith(rest, "[::1]");
        if (scheme != "http" || !loopback) {
          problems.AddError(at, "'" + uri + "': web and spa redirect URIs must use https (http only on "
                                            "localhost / 127.0.0.1 / [::1])");
        }
      }
    }
  }
}

void ValidateApplication(const json& doc, core::ProblemList& problems) {
  ValidateDirectoryObject<directory::ReadApplications>(doc, problems);
  ValidateRedirectUris(doc, problems);
}

class AdminApi {
 public:
  explicit AdminApi(AdminApiContext& context) : ctx_(context), credentials_(*context.store) {}

  void Register(http::Router& router);

 private:
  // Authenticates and checks the scope; on failure fills `error`.
  bool Authorize(const HttpRequest& request, const std::string& scope, HttpResponse& error,
                 AdminPrincipal* principal = nullptr) const;
  http::Handler Guarded(std::string scope,
                        std::function<HttpResponse(HttpRequest&, const AdminPrincipal&)> handler);

  HttpResponse List(const Collection& c, HttpRequest& request);
  HttpResponse Get(const Collection& c, HttpRequest& request);
  HttpResponse Create(const Collection& c, HttpRequest& request, const AdminPrincipal& who);
  HttpResponse Update(const Collection& c, HttpRequest& request, const AdminPrincipal& who);
  HttpResponse Remove(const Collection& c, HttpRequest& request, const AdminPrincipal& who);
  // Validation shared by create and update; returns a problem response when invalid.
  std::optional<HttpResponse> Check(const Collection& c, const json& doc, bool creating,
                                    const HttpRequest& request);
  HttpResponse Commit(const Collection& c, const std::string& id, const json& doc,
                      const AdminPrincipal& who, const HttpRequest& request,
                      std::optional<std::int64_t> expected_version, int success_status);

  HttpResponse GroupMembers(HttpRequest& request);
  HttpResponse AddGroupMember(HttpRequest& request, const AdminPrincipal& who);
  HttpResponse RemoveGroupMember(HttpRequest& request, const AdminPrincipal& who);
  HttpResponse WhatIf(HttpRequest& request);
  HttpResponse AddPassword(HttpRequest& request, const AdminPrincipal& who);
  HttpResponse RemovePassword(HttpRequest& request, const AdminPrincipal& who);
  HttpResponse EvaluateAndLog(HttpRequest& request);
  HttpResponse SignIns(HttpRequest& request);
  HttpResponse DirectoryAudits(HttpRequest& request);

  store::AuditEntry Audit(const AdminPrincipal& who, const std::string& activity,
                          const std::string& category, const HttpRequest& request) const {
    return {who.client_id, activity, category, "success",
            json{{"requestId", request.request_id}}.dump()};
  }
  void RefreshTenant() {
    auto started = std::chrono::steady_clock::now();
    absl::Status status = ctx_.tenant->Refresh();
    if (ctx_.metrics) {
      ctx_.metrics->Observe(
          "gatehouse_snapshot_build_seconds", {},
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    (void)status;  // a stored tenant that does not compile keeps the previous snapshot
  }

  AdminApiContext& ctx_;
  idp::CredentialStore credentials_;  // user passwords, client secrets (never in bodies)
  std::vector<Collection> collections_;
};

bool AdminApi::Authorize(const HttpRequest& request, const std::string& scope, HttpResponse& error,
                         AdminPrincipal* principal) const {
  auto who = ctx_.auth->Authenticate(request.Header("authorization"), ctx_.clock());
  if (!who.ok()) {
    error = http::Problem(401, "Authentication required", std::string(who.status().message()));
    error.SetHeader("WWW-Authenticate", "Bearer realm=\"gatehouse\"");
    return false;
  }
  if (!ScopeAllows(who->scopes, scope)) {
    error = http::Problem(403, "Insufficient scope",
                          "this operation needs the " + scope + " scope");
    error.SetHeader("WWW-Authenticate",
                    "Bearer error=\"insufficient_scope\", scope=\"" + scope + "\"");
    return false;
  }
  if (principal) *principal = std::move(*who);
  return true;
}

http::Handler AdminApi::Guarded(
    std::string scope, std::function<HttpResponse(HttpRequest&, const AdminPrincipal&)> handler) {
  return [this, scope = std::move(scope), handler = std::move(handler)](HttpRequest& request) {
    HttpResponse error;
    AdminPrincipal who;
    if (!Authorize(request, scope, error, &who)) return error;
    return handler(request, who);
  };
}

HttpResponse AdminApi::List(const Collection& c, HttpRequest& request) {
  auto page = ParsePageRequest(request.query);
  if (!page.ok()) return http::ProblemFor(page.status());
  auto objects = ctx_.store->List(c.kind);
  if (!objects.ok()) return http::ProblemFor(objects.status());
  json value = json::array();
  std::size_t start = static_cast<std::size_t>(page->skip_token > 0 ? page->skip_token - 1 : 0);
  std::size_t end = std::min(objects->size(), start + static_cast<std::size_t>(page->top));
  for (std::size_t i = start; i < end; ++i) {
    value.push_back(json::parse((*objects)[i].body, nullptr, false));
  }
  json body = {{"@odata.context", kGraphContext + c.context_name}, {"value", value}};
  if (end < objects->size()) {
    body["@odata.nextLink"] = c.path + "?$top=" + std::to_string(page->top) +
                              "&$skiptoken=" + std::to_string(end + 1);
  }
  return JsonResponse(200, body);
}

HttpResponse AdminApi::Get(const Collection& c, HttpRequest& request) {
  auto object = ctx_.store->Get(c.kind, request.path_params["id"]);
  if (!object.ok()) return http::ProblemFor(object.status());
  if (!object->has_value()) {
    return http::Problem(404, "Not found", "no " + c.noun + " with id '" + request.path_params["id"] + "'");
  }
  HttpResponse response = HttpResponse::Json(200, (*object)->body);
  response.SetHeader("ETag", "W/\"" + std::to_string((*object)->version) + "\"");
  return response;
}

std::optional<HttpResponse> AdminApi::Check(const Collection& c, const json& doc, bool creating,
                                            const HttpRequest& request) {
  core::ProblemList problems;
  c.validate(doc, problems);
  if (problems.has_errors()) return ValidationProblem(problems);
  auto snapshot = ctx_.tenant->Current();
  if (!snapshot) return std::nullopt;
  const TenantBundle& bundle = snapshot->bundle;
  if (creating) {
    if (c.kind == store::ObjectKind::kPolicy && bundle.policies.size() >= ca::kMaxPolicies) {
      return http::Problem(409, "Limit reached", "a tenant holds at most 195 policies");
    }
    if (c.kind == store::ObjectKind::kNamedLocation &&
        bundle.named_locations.size() >= ca::kMaxNamedLocations) {
      return http::Problem(409, "Limit reached", "a tenant holds at most 195 named locations");
    }
    if (c.kind == store::ObjectKind::kAuthenticationStrength &&
        bundle.authentication_strengths.size() >= ca::kMaxCustomStrengths) {
      return http::Problem(409, "Limit reached",
                           "a tenant holds at most 15 custom authentication strengths");
    }
  }
  if (c.kind != store::ObjectKind::kPolicy) return std::nullopt;

  core::ProblemList ignored;
  std::optional<ca::Policy> policy = ca::ParsePolicy(doc, "", ignored);
  if (!policy) return std::nullopt;
  const std::string& strength = policy->grant.authentication_strength_id;
  if (!strength.empty()) {
    bool known = false;
    for (const auto& s : ca::BuiltInAuthenticationStrengths()) known = known || s.id == strength;
    for (const auto& s : bundle.authentication_strengths) known = known || s.id == strength;
    if (!known) {
      core::ProblemList p;
      p.AddError("/grantControls/authenticationStrength/id",
                 "authentication strength '" + strength + "' does not exist");
      return ValidationProblem(p);
    }
  }
  // Lockout guard: the same engine, on the policy set as it would be after this write.
  if (policy->state != ca::PolicyState::kEnabled) return std::nullopt;
  if (absl::EqualsIgnoreCase(request.Header("x-gatehouse-accept-lockout-risk"), "true")) {
    return std::nullopt;
  }
  std::vector<ca::Policy> candidate;
  for (const auto& existing : bundle.policies) {
    if (!core::EqualsIgnoreCase(existing.id, policy->id)) candidate.push_back(existing);
  }
  candidate.push_back(*policy);
  if (auto lockout = CheckLockout(bundle, candidate, ctx_.emergency_access_group_id)) {
    return http::Problem(
        409, "This change would lock administrators out", *lockout,
        json{{"acceptRiskHeader", "X-Gatehouse-Accept-Lockout-Risk: true"}}.dump());
  }
  return std::nullopt;
}

HttpResponse AdminApi::Commit(const Collection& c, const std::string& id, const json& doc,
                              const AdminPrincipal& who, const HttpRequest& request,
                              std::optional<std::int64_t> expected_version, int success_status) {
  const bool creating = expected_version && *expected_version == 0;
  auto started = std::chrono::steady_clock::now();
  auto stored = ctx_.store->Put(
      c.kind, id, doc.dump(),
      Audit(who, std::string(creating ? "Add " : "Update ") + c.noun, c.audit_category, request),
      expected_version);
  if (ctx_.metrics) {
    ctx_.metrics->Observe(
        "gatehouse_store_operation_seconds", {{"operation", "put"}},
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (!stored.ok()) {
    if (stored.status().code() == absl::StatusCode::kFailedPrecondition) {
      return http::Problem(creating ? 409 : 412,
                           creating ? "Already exists" : "The object changed meanwhile",
                           std::string(stored.status().message()));
    }
    return http::ProblemFor(stored.status());
  }
  RefreshTenant();
  if (success_status == 204) return HttpResponse{204, {}, ""};
  HttpResponse response = HttpResponse::Json(success_status, stored->body);
  response.SetHeader("ETag", "W/\"" + std::to_string(stored->version) + "\"");
  if (creating) response.SetHeader("Location", c.path + "/" + id);
  return response;
}

HttpResponse AdminApi::Create(const Collection& c, HttpRequest& request, const AdminPrincipal& who) {
  HttpResponse error;
  auto doc = BodyObject(request, error);
  if (!doc) return error;
  std::optional<std::string> password;
  if (c.kind == store::ObjectKind::kUser) {
    std::optional<HttpResponse> refused;
    password = TakePassword(*doc, refused);
    if (refused) return *refused;
  }
  std::string id;
  if (auto it = doc->find(c.id_field); it != doc->end() && it->is_string()) id = it->get<std::string>();
  if (id.empty()) {
    // As Graph does, the server assigns the key when the caller leaves it out (an application's
    // appId as well as an object id).
    id = crypto::RandomGuid();
    (*doc)[c.id_field] = id;
  }
  if (id.size() > 200 || id.find('/') != std::string::npos) {
    return http::Problem(400, "The request body is not valid", "'" + id + "' is not a usable id");
  }
  if (c.timestamps) {
    std::string now = core::FormatIsoDateTime(ctx_.clock());
    (*doc)["createdDateTime"] = now;
    (*doc)["modifiedDateTime"] = now;
  }
  if (!c.odata_type.empty() && !doc->contains("@odata.type")) (*doc)["@odata.type"] = c.odata_type;
  if (auto problem = Check(c, *doc, /*creating=*/true, request)) return *problem;
  HttpResponse response = Commit(c, id, *doc, who, request, 0, 201);
  if (password && response.status == 201) {
    if (absl::Status s = credentials_.SetUserPassword(id, *password, ctx_.clock()); !s.ok()) {
      return http::ProblemFor(s);
    }
  }
  return response;
}

HttpResponse AdminApi::Update(const Collection& c, HttpRequest& request, const AdminPrincipal& who) {
  const std::string& id = request.path_params["id"];
  auto existing = ctx_.store->Get(c.kind, id);
  if (!existing.ok()) return http::ProblemFor(existing.status());
  if (!existing->has_value()) {
    return http::Problem(404, "Not found", "no " + c.noun + " with id '" + id + "'");
  }
  HttpResponse error;
  auto patch = BodyObject(request, error);
  if (!patch) return error;
  std::optional<std::string> password;
  if (c.kind == store::ObjectKind::kUser) {
    std::optional<HttpResponse> refused;
    password = TakePassword(*patch, refused);
    if (refused) return *refused;
  }
  json doc = json::parse((*existing)->body, nullptr, false);
  MergePatch(doc, *patch);
  doc[c.id_field] = id;  // the id cannot change
  if (c.timestamps) doc["modifiedDateTime"] = core::FormatIsoDateTime(ctx_.clock());
  if (auto problem = Check(c, doc, /*creating=*/false, request)) return *problem;
  std::int64_t expected = (*existing)->version;
  if (std::string match = request.Header("if-match"); !match.empty()) {
    std::string digits;
    for (char ch : match) {
      if (absl::ascii_isdigit(ch)) digits += ch;
    }
    if (!absl::SimpleAtoi(digits, &expected)) {
      return http::Problem(400, "Bad If-Match", "use the ETag of a previous response");
    }
  }
  HttpResponse response = Commit(c, id, doc, who, request, expected, 204);
  if (password && response.status == 204) {
    if (absl::Status s = credentials_.SetUserPassword(id, *password, ctx_.clock()); !s.ok()) {
      return http::ProblemFor(s);
    }
  }
  return response;
}

HttpResponse AdminApi::Remove(const Collection& c, HttpRequest& request, const AdminPrincipal& who) {
  const std::string& id = request.path_params["id"];
  if (c.kind == store::ObjectKind::kNamedLocation) {
    // Entra refuses to delete a location that a policy still uses.
    if (auto snapshot = ctx_.tenant->Current()) {
      std::string key = absl::AsciiStrToLower(id);
      for (const auto& p : snapshot->bundle.policies) {
        const auto& l = p.locations;
        if (std::count(l.include_ids.begin(), l.include_ids.end(), key) ||
            std::count(l.exclude_ids.begin(), l.exclude_ids.end(), key)) {
          return http::Problem(409, "The named location is in use",
                               "policy '" + p.display_name + "' (" + p.id + ") references it");
        }
      }
    }
  }
  absl::Status status = ctx_.store->Delete(c.kind, id, Audit(who, "Delete " + c.noun, c.audit_category, request));
  if (status.code() == absl::StatusCode::kNotFound) {
    return http::Problem(404, "Not found", "no " + c.noun + " with id '" + id + "'");
  }
  if (!status.ok()) return http::ProblemFor(status);
  if (c.kind == store::ObjectKind::kUser) (void)credentials_.DeleteUser(id);
  if (c.kind == store::ObjectKind::kApplication) (void)credentials_.DeleteClient(id);
  RefreshTenant();
  return HttpResponse{204, {}, ""};
}

HttpResponse AdminApi::AddPassword(HttpRequest& request, const AdminPrincipal&) {
  const std::string& id = request.path_params["id"];
  auto app = ctx_.store->Get(store::ObjectKind::kApplication, id);
  if (!app.ok()) return http::ProblemFor(app.status());
  if (!app->has_value()) return http::Problem(404, "Not found", "no application with appId '" + id + "'");
  std::string display_name;
  if (!request.body.empty()) {
    HttpResponse error;
    auto body = BodyObject(request, error);
    if (!body) return error;
    if (auto pc = body->find("passwordCredential"); pc != body->end() && pc->is_object()) {
      if (auto dn = pc->find("displayName"); dn != pc->end() && dn->is_string()) {
        display_name = dn->get<std::string>().substr(0, 256);
      }
    }
  }
  auto secret = credentials_.AddClientSecret(id, display_name, ctx_.clock());
  if (!secret.ok()) return http::ProblemFor(secret.status());
  HttpResponse response = JsonResponse(
      200, {{"@odata.context", std::string(kGraphContext) + "microsoft.graph.passwordCredential"},
            {"customKeyIdentifier", nullptr},
            {"displayName", secret->display_name},
            {"endDateTime", core::FormatIsoDateTime(secret->end)},
            {"hint", secret->hint},
            {"keyId", secret->key_id},
            {"secretText", secret->secret_text},
            {"startDateTime", core::FormatIsoDateTime(secret->start)}});
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

HttpResponse AdminApi::RemovePassword(HttpRequest& request, const AdminPrincipal&) {
  const std::string& id = request.path_params["id"];
  HttpResponse error;
  auto body = BodyObject(request, error);
  if (!body) return error;
  std::string key_id = body->value("keyId", "");
  if (key_id.empty()) {
    core::ProblemList p;
    p.AddError("/keyId", "required");
    return ValidationProblem(p);
  }
  absl::Status s = credentials_.RemoveClientSecret(id, key_id);
  if (s.code() == absl::StatusCode::kNotFound) return http::Problem(404, "Not found", std::string(s.message()));
  if (!s.ok()) return http::ProblemFor(s);
  return HttpResponse{204, {}, ""};
}

HttpResponse AdminApi::GroupMembers(HttpRequest& request) {
  auto group = ctx_.store->Get(store::ObjectKind::kGroup, request.path_params["id"]);
  if (!group.ok()) return http::ProblemFor(group.status());
  if (!group->has_value()) return http::Problem(404, "Not found", "no such group");
  json doc = json::parse((*group)->body, nullptr, false);
  json value = json::array();
  for (const auto& member : doc.value("members", json::array())) {
    std::string id = member.is_string() ? member.get<std::string>() : member.value("id", "");
    auto user = ctx_.store->Get(store::ObjectKind::kUser, id);
    if (user.ok() && user->has_value()) {
      json u = json::parse((*user)->body, nullptr, false);
      value.push_back({{"@odata.type", "#microsoft.graph.user"}, {"id", id},
                       {"displayName", u.value("displayName", "")},
                       {"userPrincipalName", u.value("userPrincipalName", "")}});
      continue;
    }
    auto nested = ctx_.store->Get(store::ObjectKind::kGroup, id);
    if (nested.ok() && nested->has_value()) {
      json g = json::parse((*nested)->body, nullptr, false);
      value.push_back({{"@odata.type", "#microsoft.graph.group"}, {"id", id},
                       {"displayName", g.value("displayName", "")}});
    }
  }
  return JsonResponse(200, {{"@odata.context", std::string(kGraphContext) + "directoryObjects"},
                            {"value", value}});
}

HttpResponse AdminApi::AddGroupMember(HttpRequest& request, const AdminPrincipal& who) {
  HttpResponse error;
  auto body = BodyObject(request, error);
  if (!body) return error;
  std::string member;
  if (auto it = body->find("@odata.id"); it != body->end() && it->is_string()) {
    std::string ref = it->get<std::string>();
    member = ref.substr(ref.find_last_of("/('") + 1);
    while (!member.empty() && (member.back() == '\'' || member.back() == ')')) member.pop_back();
  } else if (auto id = body->find("id"); id != body->end() && id->is_string()) {
    member = id->get<std::string>();
  }
  if (member.empty()) {
    core::ProblemList p;
    p.AddError("/@odata.id", "required: \"https://graph.microsoft.com/v1.0/directoryObjects/{id}\"");
    return ValidationProblem(p);
  }
  auto user = ctx_.store->Get(store::ObjectKind::kUser, member);
  auto nested = ctx_.store->Get(store::ObjectKind::kGroup, member);
  if (!(user.ok() && user->has_value()) && !(nested.ok() && nested->has_value())) {
    return http::Problem(404, "Not found", "no user or group with id '" + member + "'");
  }
  const std::string& id = request.path_params["id"];
  auto group = ctx_.store->Get(store::ObjectKind::kGroup, id);
  if (!group.ok()) return http::ProblemFor(group.status());
  if (!group->has_value()) return http::Problem(404, "Not found", "no such group");
  json doc = json::parse((*group)->body, nullptr, false);
  json members = doc.value("members", json::array());
  for (const auto& m : members) {
    if ((m.is_string() ? m.get<std::string>() : m.value("id", "")) == member) {
      return http::Problem(409, "Already a member", "'" + member + "' is already in the group");
    }
  }
  members.push_back(member);
  doc["members"] = members;
  auto stored = ctx_.store->Put(store::ObjectKind::kGroup, id, doc.dump(),
                                Audit(who, "Add member to group", "GroupManagement", request),
                                (*group)->version);
  if (!stored.ok()) return http::ProblemFor(stored.status());
  RefreshTenant();
  return HttpResponse{204, {}, ""};
}

HttpResponse AdminApi::RemoveGroupMember(HttpRequest& request, const AdminPrincipal& who) {
  const std::string& id = request.path_params["id"];
  const std::string& member = request.path_params["member"];
  auto group = ctx_.store->Get(store::ObjectKind::kGroup, id);
  if (!group.ok()) return http::ProblemFor(group.status());
  if (!group->has_value()) return http::Problem(404, "Not found", "no such group");
  json doc = json::parse((*group)->body, nullptr, false);
  json kept = json::array();
  bool found = false;
  for (const auto& m : doc.value("members", json::array())) {
    if ((m.is_string() ? m.get<std::string>() : m.value("id", "")) == member) {
      found = true;
    } else {
      kept.push_back(m);
    }
  }
  if (!found) return http::Problem(404, "Not found", "'" + member + "' is not in the group");
  doc["members"] = kept;
  auto stored = ctx_.store->Put(store::ObjectKind::kGroup, id, doc.dump(),
                                Audit(who, "Remove member from group", "GroupManagement", request),
                                (*group)->version);
  if (!stored.ok()) return http::ProblemFor(stored.status());
  RefreshTenant();
  return HttpResponse{204, {}, ""};
}

HttpResponse AdminApi::WhatIf(HttpRequest& request) {
  auto snapshot = ctx_.tenant->Current();
  if (!snapshot) return http::Problem(503, "Not ready", "the tenant is still loading");
  HttpResponse error;
  auto body = BodyObject(request, error);
  if (!body) return error;
  const ca::CompiledPolicySet& set = *snapshot->bundle.compiled;
  core::ProblemList problems;
  auto parsed = ca::ReadWhatIfRequest(*body, set.directory(), ctx_.geoip, problems);
  if (!parsed.ok()) return ValidationProblem(problems);
  thread_local ca::Decision decision;
  set.Evaluate(parsed->context, decision);
  if (ctx_.metrics) {
    ctx_.metrics->Increment("gatehouse_ca_decisions_total",
                            {{"decision", ca::ToString(decision.outcome)}, {"mode", "whatIf"}});
  }
  return HttpResponse::Json(200, ca::WhatIfToJsonText(set, decision, parsed->applied_policies_only));
}

HttpResponse AdminApi::EvaluateAndLog(HttpRequest& request) {
  auto snapshot = ctx_.tenant->Current();
  if (!snapshot) return http::Problem(503, "Not ready", "the tenant is still loading");
  HttpResponse error;
  auto body = BodyObject(request, error);
  if (!body) return error;
  core::ProblemList problems;
  ca::SignInLogIds ids{request.request_id, body->value("correlationId", request.request_id)};
  auto evaluated = EvaluateSignIn(*snapshot, *body, ctx_.geoip, ids, ctx_.clock(), problems);
  if (!evaluated.ok()) return ValidationProblem(problems);
  if (ctx_.metrics) {
    ctx_.metrics->Increment("gatehouse_ca_decisions_total",
                            {{"decision", ca::ToString(evaluated->decision.outcome)}, {"mode", "signIn"}});
  }
  store::SignInRecord row = SignInRow(evaluated->record, evaluated->request.context.time);
  auto started = std::chrono::steady_clock::now();
  absl::Status status = ctx_.store->AppendSignIn(row);
  if (ctx_.metrics) {
    ctx_.metrics->Observe(
        "gatehouse_store_operation_seconds", {{"operation", "appendSignIn"}},
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (!status.ok()) return http::ProblemFor(status);
  return HttpResponse::Json(201, row.body);
}

// `field eq 'text'` into `target`; anything else is refused naming the field.
absl::Status TextEquals(const FilterClause& c, std::optional<std::string>& target) {
  if (c.op != "eq" || !c.quoted) {
    return absl::InvalidArgumentError(c.field + " supports only eq 'text'");
  }
  target = c.value;
  return absl::OkStatus();
}

// `field ge|gt|le|lt|eq <date-time>` into an inclusive [from, until] range.
absl::Status TimeRange(const FilterClause& c, std::optional<absl::Time>& from,
                       std::optional<absl::Time>& until) {
  auto t = core::ParseIsoDateTime(c.value);
  if (!t.ok()) return absl::InvalidArgumentError(c.field + ": " + std::string(t.status().message()));
  if (c.op == "ge" || c.op == "gt") {
    from = c.op == "gt" ? *t + absl::Nanoseconds(1) : *t;
  } else if (c.op == "le" || c.op == "lt") {
    until = c.op == "lt" ? *t - absl::Nanoseconds(1) : *t;
  } else if (c.op == "eq") {
    from = until = *t;
  } else {
    return absl::InvalidArgumentError(c.field + " supports eq, ge, gt, le and lt");
  }
  return absl::OkStatus();
}

// Maps $filter clauses onto a store query; unknown fields are refused by name.
absl::Status ApplySignInFilter(const std::vector<FilterClause>& clauses, store::SignInQuery& q) {
  for (const FilterClause& c : clauses) {
    auto text_eq = [&](std::optional<std::string>& field) { return TextEquals(c, field); };
    absl::Status s;
    if (c.field == "userId") {
      s = text_eq(q.user_id);
    } else if (c.field == "userPrincipalName") {
      s = text_eq(q.user_principal_name);
    } else if (c.field == "appId") {
      s = text_eq(q.app_id);
    } else if (c.field == "id") {
      s = text_eq(q.id);
    } else if (c.field == "conditionalAccessStatus") {
      s = text_eq(q.conditional_access_status);
    } else if (c.field == "status/errorCode") {
      int code = 0;
      if (c.op != "eq" || !absl::SimpleAtoi(c.value, &code)) {
        s = absl::InvalidArgumentError("status/errorCode supports only eq <number>");
      } else {
        q.error_code = code;
      }
    } else if (c.field == "createdDateTime") {
      s = TimeRange(c, q.created_from, q.created_until);
    } else {
      s = absl::InvalidArgumentError(
          "cannot filter sign-ins on '" + c.field +
          "' (supported: userId, userPrincipalName, appId, id, conditionalAccessStatus, "
          "status/errorCode, createdDateTime)");
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// One page of an append-only log (sign-ins, directory audits): $filter onto the store query,
// $top and $skiptoken for paging, rows rendered with `to_json`, and a next link while pages are full.
template <typename Query, typename ApplyFilter, typename Run, typename ToJson>
HttpResponse LogPage(const HttpRequest& request, const std::string& path,
                     const std::string& context_name, ApplyFilter apply_filter, Run run,
                     ToJson to_json) {
  auto page = ParsePageRequest(request.query);
  if (!page.ok()) return http::ProblemFor(page.status());
  Query query;
  if (absl::Status s = apply_filter(page->filter, query); !s.ok()) return http::ProblemFor(s);
  query.limit = page->top;
  query.after_sequence = page->skip_token;
  auto rows = run(query);
  if (!rows.ok()) return http::ProblemFor(rows.status());
  json value = json::array();
  for (const auto& row : *rows) value.push_back(to_json(row));
  json body = {{"@odata.context", std::string(kGraphContext) + context_name}, {"value", value}};
  if (static_cast<int>(rows->size()) == page->top) {
    body["@odata.nextLink"] = NextLink(path, request, page->top, rows->back().sequence);
  }
  return JsonResponse(200, body);
}

HttpResponse AdminApi::SignIns(HttpRequest& request) {
  return LogPage<store::SignInQuery>(
      request, "/v1.0/auditLogs/signIns", "auditLogs/signIns", ApplySignInFilter,
      [this](const store::SignInQuery& q) { return ctx_.store->QuerySignIns(q); },
      [](const store::SignInRecord& row) { return json::parse(row.body, nullptr, false); });
}

absl::Status ApplyAuditFilter(const std::vector<FilterClause>& clauses, store::AuditQuery& q) {
  for (const FilterClause& c : clauses) {
    absl::Status s;
    if (c.field == "category") {
      s = TextEquals(c, q.category);
    } else if (c.field == "activityDisplayName") {
      s = TextEquals(c, q.activity);
    } else if (c.field == "initiatedBy/app/appId") {
      s = TextEquals(c, q.actor);
    } else if (c.field == "targetResources/id") {
      s = TextEquals(c, q.target_id);
    } else if (c.field == "activityDateTime") {
      s = TimeRange(c, q.from, q.until);
    } else {
      s = absl::InvalidArgumentError(
          "cannot filter directory audits on '" + c.field +
          "' (supported: category, activityDisplayName, activityDateTime, initiatedBy/app/appId, "
          "targetResources/id)");
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

json AuditToJson(const store::AuditRecord& r) {
  json details = json::parse(r.entry.details_json, nullptr, false);
  json additional = json::array();
  if (details.is_object()) {
    for (const auto& [key, value] : details.items()) {
      additional.push_back({{"key", key}, {"value", value.is_string() ? value.get<std::string>() : value.dump()}});
    }
  }
  return {{"id", std::to_string(r.sequence)},
          {"activityDateTime", core::FormatIsoDateTime(r.time)},
          {"activityDisplayName", r.entry.activity},
          {"category", r.entry.category},
          {"result", r.entry.result},
          {"loggedByService", "Gatehouse"},
          {"initiatedBy", {{"app", {{"appId", r.entry.actor}, {"displayName", r.entry.actor}}}}},
          {"targetResources", json::array({{{"id", r.target_id}, {"type", r.target_kind}}})},
          {"additionalDetails", additional},
          {"previousHash", r.previous_hash},
          {"hash", r.hash}};
}

HttpResponse AdminApi::DirectoryAudits(HttpRequest& request) {
  return LogPage<store::AuditQuery>(
      request, "/v1.0/auditLogs/directoryAudits", "auditLogs/directoryAudits", ApplyAuditFilter,
      [this](const store::AuditQuery& q) { return ctx_.store->QueryAudit(q); }, AuditToJson);
}

void AdminApi::Register(http::Router& router) {
  const std::string kPolicyRead = "Policy.Read.ConditionalAccess";
  const std::string kPolicyWrite = "Policy.ReadWrite.ConditionalAccess";
  const std::string kDirRead = "Directory.Read.All";
  const std::string kDirWrite = "Directory.ReadWrite.All";
  collections_ = {
      {"/v1.0/identity/conditionalAccess/policies", store::ObjectKind::kPolicy, kPolicyRead,
       kPolicyWrite, "#microsoft.graph.conditionalAccessPolicy",
       "identity/conditionalAccess/policies", "Policy", "policy", "id", true, ValidatePolicy},
      {"/v1.0/identity/conditionalAccess/namedLocations", store::ObjectKind::kNamedLocation,
       kPolicyRead, kPolicyWrite, "", "identity/conditionalAccess/namedLocations", "Policy",
       "named location", "id", true, ValidateNamedLocation},
      {"/v1.0/identity/conditionalAccess/authenticationStrength/policies",
       store::ObjectKind::kAuthenticationStrength, kPolicyRead, kPolicyWrite,
       "#microsoft.graph.authenticationStrengthPolicy",
       "identity/conditionalAccess/authenticationStrength/policies", "Policy",
       "authentication strength", "id", true, ValidateStrength},
      {"/v1.0/users", store::ObjectKind::kUser, kDirRead, kDirWrite, "#microsoft.graph.user",
       "users", "UserManagement", "user", "id", false,
       ValidateDirectoryObject<directory::ReadUsers>},
      {"/v1.0/groups", store::ObjectKind::kGroup, kDirRead, kDirWrite, "#microsoft.graph.group",
       "groups", "GroupManagement", "group", "id", false,
       ValidateDirectoryObject<directory::ReadGroups>},
      {"/v1.0/applications", store::ObjectKind::kApplication, kDirRead, kDirWrite,
       "#microsoft.graph.application", "applications", "ApplicationManagement", "application",
       "appId", false, ValidateApplication},
      {"/v1.0/devices", store::ObjectKind::kDevice, kDirRead, kDirWrite, "#microsoft.graph.device",
       "devices", "Device", "device", "id", false, ValidateDirectoryObject<directory::ReadDevices>},
      {"/v1.0/roleManagement/directory/roleAssignments", store::ObjectKind::kRoleAssignment,
       kDirRead, kDirWrite, "#microsoft.graph.unifiedRoleAssignment",
       "roleManagement/directory/roleAssignments", "RoleManagement", "role assignment", "id",
       false, [](const json& doc, core::ProblemList& problems) {
         for (const char* key : {"roleDefinitionId", "principalId"}) {
           if (!doc.contains(key) || !doc[key].is_string() || doc[key].get<std::string>().empty()) {
             problems.AddError(std::string("/") + key, "required");
           }
         }
         if (doc.contains("directoryScopeId") && doc["directoryScopeId"] != "/") {
           problems.AddError("/directoryScopeId",
                             "only tenant-wide assignments (\"/\") count for Conditional Access");
         }
       }},
  };
  for (const Collection& c : collections_) {
    const Collection* cp = &c;
    router.Add("GET", c.path, Guarded(c.read_scope, [this, cp](HttpRequest& r, const AdminPrincipal&) {
                 return List(*cp, r);
               }));
    router.Add("POST", c.path, Guarded(c.write_scope, [this, cp](HttpRequest& r, const AdminPrincipal& w) {
                 return Create(*cp, r, w);
               }));
    router.Add("GET", c.path + "/{id}", Guarded(c.read_scope, [this, cp](HttpRequest& r, const AdminPrincipal&) {
                 return Get(*cp, r);
               }));
    router.Add("PATCH", c.path + "/{id}", Guarded(c.write_scope, [this, cp](HttpRequest& r, const AdminPrincipal& w) {
                 return Update(*cp, r, w);
               }));
    router.Add("DELETE", c.path + "/{id}", Guarded(c.write_scope, [this, cp](HttpRequest& r, const AdminPrincipal& w) {
                 return Remove(*cp, r, w);
               }));
  }
  router.Add("POST", "/v1.0/applications/{id}/addPassword",
             Guarded(kDirWrite, [this](HttpRequest& r, const AdminPrincipal& w) { return AddPassword(r, w); }));
  router.Add("POST", "/v1.0/applications/{id}/removePassword",
             Guarded(kDirWrite, [this](HttpRequest& r, const AdminPrincipal& w) { return RemovePassword(r, w); }));
  router.Add("GET", "/v1.0/groups/{id}/members",
             Guarded(kDirRead, [this](HttpRequest& r, const AdminPrincipal&) { return GroupMembers(r); }));
  router.Add("POST", "/v1.0/groups/{id}/members/$ref",
             Guarded(kDirWrite, [this](HttpRequest& r, const AdminPrincipal& w) { return AddGroupMember(r, w); }));
  router.Add("DELETE", "/v1.0/groups/{id}/members/{member}/$ref",
             Guarded(kDirWrite, [this](HttpRequest& r, const AdminPrincipal& w) { return RemoveGroupMember(r, w); }));
  router.Add("POST", "/v1.0/identity/conditionalAccess/evaluate",
             Guarded(kPolicyRead, [this](HttpRequest& r, const AdminPrincipal&) { return WhatIf(r); }));
  router.Add("POST", "/v1.0/gatehouse/signIns/evaluate",
             Guarded(kPolicyRead, [this](HttpRequest& r, const AdminPrincipal&) { return EvaluateAndLog(r); }));
  router.Add("GET", "/v1.0/auditLogs/signIns",
             Guarded("AuditLog.Read.All", [this](HttpRequest& r, const AdminPrincipal&) { return SignIns(r); }));
  router.Add("GET", "/v1.0/auditLogs/directoryAudits",
             Guarded("AuditLog.Read.All", [this](HttpRequest& r, const AdminPrincipal&) { return DirectoryAudits(r); }));

  router.Add("POST", "/oauth2/v2.0/token", [this](HttpRequest& r) {
    auto result = ctx_.auth->IssueToken(r.body, r.Header("authorization"), ctx_.clock());
    if (result.error) {
      HttpResponse response = JsonResponse(
          result.error->http_status,
          {{"error", result.error->error},
           {"error_description", result.error->description},
           {"request_id", r.request_id}});
      if (result.error->http_status == 401) {
        response.SetHeader("WWW-Authenticate", "Basic realm=\"gatehouse\"");
      }
      response.SetHeader("Cache-Control", "no-store");
      return response;
    }
    HttpResponse response = HttpResponse::Json(200, result.json);
    response.SetHeader("Cache-Control", "no-store");
    return response;
  });
  router.Add("GET", "/discovery/v2.0/keys",
             [this](HttpRequest&) { return HttpResponse::Json(200, ctx_.auth->Jwks()); });
  router.Add("GET", "/healthz", [](HttpRequest&) {
    return HttpResponse::Json(200, R"({"status":"ok"})");
  });
  router.Add("GET", "/readyz", [this](HttpRequest&) {
    auto snapshot = ctx_.tenant->Current();
    auto version = ctx_.store->TenantVersion();
    if (!snapshot || !version.ok()) {
      return http::Problem(503, "Not ready",
                           !snapshot ? "the tenant snapshot is not built yet" : "the store is not reachable");
    }
    return JsonResponse(200, {{"status", "ready"},
                              {"tenantVersion", snapshot->version},
                              {"policies", snapshot->bundle.policies.size()}});
  });
  router.Add("GET", "/metrics", [this](HttpRequest& r) {
    HttpResponse error;
    if (!ctx_.metrics_anonymous && !Authorize(r, "Metrics.Read.All", error)) return error;
    if (auto snapshot = ctx_.tenant->Current()) {
      ctx_.metrics->Set("gatehouse_tenant_policies", {}, static_cast<double>(snapshot->bundle.policies.size()));
      ctx_.metrics->Set("gatehouse_tenant_version", {}, static_cast<double>(snapshot->version));
    }
    return HttpResponse::Text(200, ctx_.metrics->Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace

void DeclareAdminApiMetrics(http::MetricsRegistry& metrics) {
  metrics.DeclareCounter("gatehouse_ca_decisions_total",
                         "Conditional Access decisions by outcome and mode");
  metrics.DeclareHistogram("gatehouse_snapshot_build_seconds",
                           "Time to rebuild the tenant snapshot after a change",
                           {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10});
  metrics.DeclareHistogram("gatehouse_store_operation_seconds", "Store write latency",
                           {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1});
  metrics.DeclareGauge("gatehouse_tenant_policies", "Conditional Access policies in the tenant");
  metrics.DeclareGauge("gatehouse_tenant_version", "Store version of the live tenant snapshot");
}

std::shared_ptr<void> RegisterAdminApi(http::Router& router, AdminApiContext& context) {
  auto api = std::make_shared<AdminApi>(context);
  api->Register(router);
  return api;
}

}  // namespace gatehouse::app
