#include "ca/authentication_strength.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "ca/policy.h"
#include "core/json_document.h"
#include "nlohmann/json.hpp"

namespace gatehouse::ca {
namespace {

std::uint32_t Combination(std::string_view spec) {
  std::uint32_t bits = 0;
  for (absl::string_view part : absl::StrSplit(std::string(spec), ',')) {
    auto method = ParseAuthMethod(std::string(absl::StripAsciiWhitespace(part)));
    if (method) bits |= *method;
  }
  return bits;
}

AuthenticationStrength BuiltIn(const char* id, const char* name,
                               std::initializer_list<const char*> combinations) {
  AuthenticationStrength s;
  s.id = id;
  s.display_name = name;
  s.built_in = true;
  for (const char* c : combinations) s.combinations.push_back(Combination(c));
  return s;
}

}  // namespace

const std::vector<AuthenticationStrength>& BuiltInAuthenticationStrengths() {
  static const auto* strengths = new std::vector<AuthenticationStrength>{
      BuiltIn(kMfaStrengthId, "Multifactor authentication",
              {"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush",
               "temporaryAccessPassOneTime", "temporaryAccessPassMultiUse",
               "password,microsoftAuthenticatorPush", "password,softwareOath",
               "password,hardwareOath", "password,x509CertificateSingleFactor",
               "password,x509CertificateMultiFactor", "password,sms", "password,voice",
               "federatedMultiFactor", "microsoftAuthenticatorPush,federatedSingleFactor",
               "softwareOath,federatedSingleFactor", "hardwareOath,federatedSingleFactor",
               "sms,federatedSingleFactor", "voice,federatedSingleFactor"}),
      BuiltIn(kPasswordlessStrengthId, "Passwordless MFA",
              {"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush"}),
      BuiltIn(kPhishingResistantStrengthId, "Phishing-resistant MFA",
              {"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"}),
  };
  return *strengths;
}

bool SatisfiesStrength(std::uint32_t session_methods, const AuthenticationStrength& strength) {
  for (std::uint32_t combination : strength.combinations) {
    if (combination != 0 && (session_methods & combination) == combination) return true;
  }
  return false;
}

bool SatisfiesMfa(std::uint32_t session_methods) {
  return SatisfiesStrength(session_methods, BuiltInAuthenticationStrengths()[0]);
}

absl::StatusOr<AuthenticationStrength> ParseAuthenticationStrength(const nlohmann::json& doc,
                                                                   core::ProblemList& problems) {
  if (!doc.is_object()) {
    problems.AddError("", "expected an authenticationStrengthPolicy object");
    return absl::InvalidArgumentError("not an object");
  }
  AuthenticationStrength strength;
  strength.id = absl::AsciiStrToLower(core::StringMember(doc, "id", "", problems));
  strength.display_name = core::StringMember(doc, "displayName", "", problems);
  if (strength.id.empty()) {
    problems.AddError("/id", "required");
    return absl::InvalidArgumentError("authentication strength without id");
  }
  std::string policy_type = core::StringMember(doc, "policyType", "", problems);
  strength.built_in = absl::EqualsIgnoreCase(policy_type, "builtIn");
  auto combinations = doc.find("allowedCombinations");
  if (combinations == doc.end() || !combinations->is_array() || combinations->empty()) {
    problems.AddError("/allowedCombinations", "required: a non-empty array of method combinations");
    return absl::InvalidArgumentError("authentication strength without combinations");
  }
  for (std::size_t i = 0; i < combinations->size(); ++i) {
    const auto& item = (*combinations)[i];
    std::string pointer = "/allowedCombinations/" + std::to_string(i);
    if (!item.is_string()) {
      problems.AddError(pointer, "expected a string such as \"password,softwareOath\"");
      continue;
    }
    std::uint32_t bits = 0;
    bool ok = true;
    for (absl::string_view part : absl::StrSplit(item.get<std::string>(), ',')) {
      std::string token(absl::StripAsciiWhitespace(part));
      if (token.empty()) continue;
      auto method = ParseAuthMethod(token);
      if (!method) {
        problems.AddWarning(pointer, "unknown authentication method '" + token +
                                         "'; this combination can never be satisfied");
        ok = false;
        continue;
      }
      bits |= *method;
    }
    if (ok && bits != 0) strength.combinations.push_back(bits);
  }
  return strength;
}

}  // namespace gatehouse::ca
