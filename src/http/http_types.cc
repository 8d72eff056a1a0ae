#include "http/http_types.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "http/internal/request_target.h"
#include "http/internal/status_text.h"
#include "nlohmann/json.hpp"

namespace gatehouse::http {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsParameter(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

std::vector<std::string> SplitPattern(const std::string& pattern) {
  std::vector<std::string> segments;
  if (pattern.size() <= 1) return segments;  // "/" or ""
  std::size_t start = pattern.front() == '/' ? 1 : 0;
  while (true) {
    const std::size_t slash = pattern.find('/', start);
    segments.push_back(
        pattern.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

}  // namespace

namespace internal {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

}  // namespace internal

using internal::ReasonPhrase;

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

void HttpResponse::SetHeader(std::string name, std::string value) {
  for (auto& [key, existing] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      existing = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  return Text(status, std::move(body), "application/json");
}

HttpResponse HttpResponse::Text(int status, std::string body, std::string content_type) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers.emplace_back("Content-Type", std::move(content_type));
  return response;
}

HttpResponse Problem(int status, std::string_view title, std::string_view detail,
                     std::string_view extra_json) {
  nlohmann::ordered_json body;
  body["type"] = "about:blank";
  body["title"] = std::string(title);
  body["status"] = status;
  body["detail"] = std::string(detail);
  if (!extra_json.empty()) {
    // The extra members are our own code's output; text that is not a JSON object is dropped
    // rather than producing an invalid problem document.
    auto extra = nlohmann::ordered_json::parse(extra_json, nullptr, /*allow_exceptions=*/false);
    if (extra.is_object()) {
      for (auto& [key, value] : extra.items()) {
        if (key == "type" || key == "title" || key == "status" || key == "detail") continue;
        body[key] = value;
      }
    }
  }
  return HttpResponse::Text(
      status, body.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace),
      "application/problem+json");
}

// FailedPrecondition maps to 409: in Gatehouse it means "the resource's current state forbids
// this" (version conflicts, the lockout guard), which clients handle like a conflict, not like a
// malformed request.
int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kUnimplemented:
      return 501;
    default:
      return 500;
  }
}

HttpResponse ProblemFor(const absl::Status& status) {
  if (status.ok()) {
    return Problem(500, ReasonPhrase(500), "an error response was requested for a success");
  }
  const int http_status = HttpStatusFor(status.code());
  return Problem(http_status, ReasonPhrase(http_status), std::string(status.message()));
}

void Router::Add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), SplitPattern(pattern), std::move(handler)});
}

HttpResponse Router::Dispatch(HttpRequest& request) const {
  // Split the raw path so that an encoded '/' stays inside its segment; fall back to the decoded
  // path for requests built by hand (tests, internal callers).
  std::vector<std::string> segments;
  {
    std::string_view raw = request.target;
    raw = raw.substr(0, raw.find('?'));
    auto split = internal::DecodePathSegments(raw.empty() ? request.path : raw);
    if (!split.ok()) {
      auto from_path = internal::DecodePathSegments(request.path);
      if (!from_path.ok()) return Problem(400, ReasonPhrase(400), "malformed request path");
      split = std::move(from_path);
    }
    segments = *std::move(split);
  }

  const Route* best = nullptr;
  int best_literals = -1;
  std::set<std::string> allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    int literals = 0;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      if (IsParameter(route.segments[i])) {
        match = !segments[i].empty();
      } else {
        match = route.segments[i] == segments[i];
        ++literals;
      }
    }
    if (!match) continue;
    allowed.insert(route.method);
    // The most specific route wins ("/users/delta" over "/users/{id}"); ties go to the first added.
    if (route.method == request.method && literals > best_literals) {
      best = &route;
      best_literals = literals;
    }
  }
  if (best == nullptr) {
    if (allowed.empty()) {
      return Problem(404, ReasonPhrase(404), "no resource at " + request.path);
    }
    std::string allow;
    for (const std::string& method : allowed) {
      if (!allow.empty()) allow += ", ";
      allow += method;
    }
    HttpResponse response =
        Problem(405, ReasonPhrase(405), request.method + " is not supported for " + request.path);
    response.SetHeader("Allow", allow);
    return response;
  }
  request.path_params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = best->segments[i];
    if (IsParameter(segment)) {
      request.path_params[segment.substr(1, segment.size() - 2)] = segments[i];
    }
  }
  return best->handler(request);
}

}  // namespace gatehouse::http
