#include "http/http_types.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/internal/request_target.h"
#include "nlohmann/json.hpp"

namespace gatehouse::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::string HeaderOf(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

HttpRequest MakeRequest(std::string method, std::string target) {
  HttpRequest request;
  request.method = std::move(method);
  auto parsed = internal::ParseRequestTarget(target);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  request.target = std::move(target);
  if (parsed.ok()) {
    request.path = parsed->path;
    request.query = parsed->query;
  }
  return request;
}

TEST(Problem, RendersRfc9457MembersInOrderWithContentType) {
  HttpResponse response = Problem(404, "Not Found", "no user 42");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(HeaderOf(response, "Content-Type"), "application/problem+json");
  EXPECT_EQ(response.body,
            R"({"type":"about:blank","title":"Not Found","status":404,"detail":"no user 42"})");
}

TEST(Problem, MergesExtraMembersButNeverOverridesTheStandardOnes) {
  HttpResponse response =
      Problem(400, "Bad Request", "invalid policy",
              R"({"errors":[{"pointer":"/state","detail":"unknown"}],"status":999})");
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["status"], 400);
  EXPECT_EQ(body["errors"][0]["pointer"], "/state");
}

TEST(Problem, IgnoresExtraTextThatIsNotAJsonObject) {
  HttpResponse response = Problem(400, "Bad Request", "x", "[1,2]");
  EXPECT_EQ(nlohmann::json::parse(response.body).size(), 4u);
}

TEST(HttpStatusFor, MapsCanonicalCodesToHttpStatuses) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOutOfRange), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAborted), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDataLoss), 500);
}

TEST(ProblemFor, UsesTheReasonPhraseAsTitleAndTheMessageAsDetail) {
  HttpResponse response = ProblemFor(absl::NotFoundError("policy p1 does not exist"));
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(body["title"], "Not Found");
  EXPECT_EQ(body["detail"], "policy p1 does not exist");
}

TEST(HttpRequest, HeaderLookupIgnoresCase) {
  HttpRequest request;
  request.headers["content-type"] = "application/json";
  EXPECT_EQ(request.Header("Content-Type"), "application/json");
  EXPECT_EQ(request.Header("accept"), "");
}

TEST(HttpResponse, SetHeaderReplacesAnExistingHeaderCaseInsensitively) {
  HttpResponse response = HttpResponse::Json(201, "{}");
  response.SetHeader("content-type", "application/merge-patch+json");
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].second, "application/merge-patch+json");
  EXPECT_EQ(response.status, 201);
}

TEST(RequestTarget, DecodesPathAndQueryWithPlusAsSpaceOnlyInTheQuery) {
  auto target =
      internal::ParseRequestTarget("/a%20b+c/d?%24filter=name+eq+%27x%27&top=5&top=7&flag");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->path, "/a b+c/d");
  EXPECT_THAT(target->query,
              ElementsAre(Pair("$filter", "name eq 'x'"), Pair("flag", ""), Pair("top", "7")));
}

TEST(RequestTarget, RejectsMalformedEscapesEncodedNulAndNonOriginForm) {
  EXPECT_FALSE(internal::ParseRequestTarget("/a%zz").ok());
  EXPECT_FALSE(internal::ParseRequestTarget("/a%4").ok());
  EXPECT_FALSE(internal::ParseRequestTarget("/a%00b").ok());
  EXPECT_FALSE(internal::ParseRequestTarget("/a?x=%g1").ok());
  EXPECT_FALSE(internal::ParseRequestTarget("http://example.com/").ok());
  EXPECT_FALSE(internal::ParseRequestTarget("").ok());
}

TEST(RequestTarget, KeepsAnEncodedSlashInsideItsSegment) {
  auto segments = internal::DecodePathSegments("/users/a%2Fb/x");
  ASSERT_TRUE(segments.ok());
  EXPECT_THAT(*segments, ElementsAre("users", "a/b", "x"));
  EXPECT_THAT(*internal::DecodePathSegments("/"), ElementsAre());
  EXPECT_THAT(*internal::DecodePathSegments("/a/"), ElementsAre("a", ""));
}

Router MakeRouter() {
  Router router;
  router.Add("GET", "/v1.0/users/{id}/memberOf", [](HttpRequest& request) {
    return HttpResponse::Text(200, "memberOf " + request.path_params["id"]);
  });
  router.Add("GET", "/v1.0/users/{id}", [](HttpRequest& request) {
    return HttpResponse::Text(200, "user " + request.path_params["id"]);
  });
  router.Add("DELETE", "/v1.0/users/{id}",
             [](HttpRequest&) { return HttpResponse::Text(204, ""); });
  router.Add("GET", "/v1.0/users/delta",
             [](HttpRequest&) { return HttpResponse::Text(200, "delta"); });
  router.Add("GET", "/", [](HttpRequest&) { return HttpResponse::Text(200, "root"); });
  return router;
}

TEST(Router, CapturesPathParameters) {
  Router router = MakeRouter();
  HttpRequest request = MakeRequest("GET", "/v1.0/users/u-1/memberOf?x=1");
  HttpResponse response = router.Dispatch(request);
  EXPECT_EQ(response.body, "memberOf u-1");
  EXPECT_EQ(request.path_params.at("id"), "u-1");
}

TEST(Router, DecodesParametersAndKeepsEncodedSlashes) {
  Router router = MakeRouter();
  HttpRequest request = MakeRequest("GET", "/v1.0/users/a%2Fb%20c");
  EXPECT_EQ(router.Dispatch(request).body, "user a/b c");
}

TEST(Router, PrefersTheMostLiteralRoute) {
  Router router = MakeRouter();
  HttpRequest request = MakeRequest("GET", "/v1.0/users/delta");
  EXPECT_EQ(router.Dispatch(request).body, "delta");
}

TEST(Router, MatchesTheRootPath) {
  Router router = MakeRouter();
  HttpRequest request = MakeRequest("GET", "/");
  EXPECT_EQ(router.Dispatch(request).body, "root");
}

TEST(Router, AnswersUnknownPathsWith404Problem) {
  Router router = MakeRouter();
  HttpRequest request = MakeRequest("GET", "/v1.0/groups");
  HttpResponse response = router.Dispatch(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(HeaderOf(response, "Content-Type"), "application/problem+json");
}

TEST(Router, DoesNotMatchAnEmptyParameterOrATrailingSlash) {
  Router router = MakeRouter();
  HttpRequest empty_id = MakeRequest("GET", "/v1.0/users//memberOf");
  EXPECT_EQ(router.Dispatch(empty_id).status, 404);
  HttpRequest trailing = MakeRequest("GET", "/v1.0/users/u-1/");
  EXPECT_EQ(router.Dispatch(trailing).status, 404);
}

TEST(Router, AnswersAnotherMethodOnAKnownPathWith405AndAllow) {
  Router router = MakeRouter();
  HttpRequest request = MakeRequest("PATCH", "/v1.0/users/u-1");
  HttpResponse response = router.Dispatch(request);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(HeaderOf(response, "Allow"), "DELETE, GET");
}

TEST(Router, RoutesRequestsBuiltWithoutATarget) {
  Router router = MakeRouter();
  HttpRequest request;
  request.method = "GET";
  request.path = "/v1.0/users/u-9";
  EXPECT_EQ(router.Dispatch(request).body, "user u-9");
}

}  // namespace
}  // namespace gatehouse::http
