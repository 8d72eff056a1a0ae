#include "app/compliance_command.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "compliance/evaluator.h"
#include "compliance/intune_policy.h"
#include "compliance/native_policy.h"
#include "core/iso_time.h"
#include "core/json_document.h"
#include "fmt/format.h"

namespace gatehouse::app {
namespace {

using nlohmann::json;

absl::Status FileError(const std::string& file, const absl::Status& status) {
  return absl::Status(status.code(), fmt::format("{}: {}", file, std::string(status.message())));
}

absl::StatusOr<json> ReadJsonFile(const std::string& path) {
  absl::StatusOr<std::string> bytes;
  if (path == "-") {
    bytes = std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    bytes = core::ReadFileToString(path);
  }
  if (!bytes.ok()) return FileError(path, bytes.status());
  auto document = core::ParseJsonDocument(*bytes);
  if (!document.ok()) return FileError(path, document.status());
  return std::move(*document);
}

// The items of a document that holds one object, an array, or {"value": [...]}, with pointers.
std::vector<std::pair<const json*, std::string>> Items(const json& document, bool single_marker) {
  std::vector<std::pair<const json*, std::string>> items;
  const json* list = nullptr;
  std::string prefix;
  if (document.is_array()) {
    list = &document;
  } else if (document.is_object() && !single_marker && document.contains("value") &&
             document["value"].is_array()) {
    list = &document["value"];
    prefix = "/value";
  }
  if (list == nullptr) {
    items.emplace_back(&document, "");
    return items;
  }
  for (size_t i = 0; i < list->size(); ++i) {
    items.emplace_back(&(*list)[i], prefix + "/" + std::to_string(i));
  }
  return items;
}

}  // namespace

absl::StatusOr<LoadedCompliancePolicies> LoadCompliancePolicies(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(fmt::format("{}: not a directory", dir));
  }
  LoadedCompliancePolicies loaded;
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    std::string extension = it->path().extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (extension == ".json") loaded.files.push_back(it->path().string());
  }
  if (error) return absl::InternalError(fmt::format("{}: {}", dir, error.message()));
  std::sort(loaded.files.begin(), loaded.files.end());

  struct Origin {
    std::string file;
    json document;
  };
  std::map<std::string, Origin> seen;
  for (const std::string& file : loaded.files) {
    auto document = ReadJsonFile(file);
    if (!document.ok()) return document.status();
    const bool single =
        compliance::IsIntunePolicyJson(*document) || compliance::IsNativePolicyJson(*document);
    for (const auto& [item, pointer] : Items(*document, single)) {
      core::ProblemList warnings;
      auto policy = compliance::ParseCompliancePolicy(*item, pointer, &warnings);
      if (!policy.ok()) return FileError(file, policy.status());
      auto [existing, inserted] = seen.emplace(policy->id, Origin{file, *item});
      if (!inserted) {
        if (existing->second.document != *item) {
          return absl::InvalidArgumentError(
              fmt::format("{}: {}/id: policy id \"{}\" is also defined, differently, in {}", file,
                          pointer, policy->id, existing->second.file));
        }
        loaded.warnings.Add({core::Severity::kWarning, file, pointer,
                             fmt::format("policy \"{}\" repeats {}; this copy is ignored",
                                         policy->id, existing->second.file)});
        continue;
      }
      loaded.warnings.Merge(warnings, file);
      loaded.policies.push_back(std::move(*policy));
    }
  }
  return loaded;
}

absl::StatusOr<std::string> RunComplianceEvaluate(const ComplianceEvaluateOptions& options) {
  absl::Time now = absl::Now();
  if (!options.now.empty()) {
    auto parsed = core::ParseIsoDateTime(options.now);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("--now: {}", std::string(parsed.status().message())));
    }
    now = *parsed;
  }
  compliance::TenantSettings settings;
  if (!options.settings_path.empty()) {
    auto document = ReadJsonFile(options.settings_path);
    if (!document.ok()) return document.status();
    auto parsed = compliance::ParseTenantSettings(*document);
    if (!parsed.ok()) return FileError(options.settings_path, parsed.status());
    settings = *parsed;
  }
  auto loaded = LoadCompliancePolicies(options.policies_dir);
  if (!loaded.ok()) return loaded.status();
  if (options.warnings != nullptr) options.warnings->Merge(loaded->warnings);
  auto policies = compliance::CompiledPolicySet::Compile(std::move(loaded->policies));
  if (!policies.ok()) return FileError(options.policies_dir, policies.status());

  auto devices = ReadJsonFile(options.devices_path);
  if (!devices.ok()) return devices.status();
  const std::string devices_name = options.devices_path == "-" ? "<stdin>" : options.devices_path;
  const bool single = devices->is_object() && devices->contains("deviceId");
  nlohmann::ordered_json value = nlohmann::ordered_json::array();
  for (const auto& [item, pointer] : Items(*devices, single)) {
    absl::Status status = [&]() -> absl::Status {
      auto device = compliance::ParseDeviceInput(*item, pointer);
      if (!device.ok()) return FileError(devices_name, device.status());
      for (size_t i = 0; i < device->assigned_policy_ids.size(); ++i) {
        if (!(*policies)->IndexOf(device->assigned_policy_ids[i])) {
          return absl::InvalidArgumentError(fmt::format(
              "{}: {}/assignedPolicyIds/{}: no policy with id \"{}\" under {}", devices_name,
              pointer, i, device->assigned_policy_ids[i], options.policies_dir));
        }
      }
      auto verdict = compliance::EvaluateDevice(**policies, *device, settings, now);
      if (!verdict.ok()) return FileError(devices_name, verdict.status());
      value.push_back(compliance::DeviceVerdictToJson(*verdict));
      return absl::OkStatus();
    }();
    if (status.ok()) continue;
    if (options.device_errors == nullptr) return status;
    // The message already starts with "file: /pointer: ".
    options.device_errors->Add({core::Severity::kError, "", "", std::string(status.message())});
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["value"] = std::move(value);
  return out.dump(2) + "\n";
}

void AddComplianceCommands(CLI::App& root) {
  CLI::App* compliance = root.add_subcommand("compliance", "Device compliance engine");
  compliance->require_subcommand(1);
  auto options = std::make_shared<ComplianceEvaluateOptions>();
  CLI::App* evaluate = compliance->add_subcommand(
      "evaluate", "Judge devices (posture JSON) against Intune and native compliance policies");
  evaluate
      ->add_option("--policies", options->policies_dir,
                   "Folder of policy JSON files (read recursively)")
      ->required();
  evaluate->add_option("--devices", options->devices_path, "Device list JSON file, or - for stdin")
      ->required();
  evaluate->add_option("--settings", options->settings_path,
                       "Tenant settings JSON (secureByDefault, "
                       "deviceComplianceCheckinThresholdDays)");
  evaluate->add_option("--now", options->now, "Evaluation time, ISO 8601 (default: now)");
  evaluate->callback([options]() {
    core::ProblemList warnings;
    core::ProblemList device_errors;
    ComplianceEvaluateOptions run = *options;
    run.warnings = &warnings;
    run.device_errors = &device_errors;
    auto output = RunComplianceEvaluate(run);
    for (const core::Problem& problem : warnings.problems()) {
      std::cerr << problem.ToString() << "\n";
    }
    if (!output.ok()) {
      std::cerr << "gatehouse compliance evaluate: " << output.status().message() << "\n";
      throw CLI::RuntimeError(1);
    }
    // Verdicts of the good devices are printed even when some entries were bad; the run still
    // fails so that a script notices.
    std::cout << *output;
    for (const core::Problem& problem : device_errors.problems()) {
      std::cerr << "gatehouse compliance evaluate: " << problem.message << "\n";
    }
    if (device_errors.has_errors()) throw CLI::RuntimeError(1);
  });
}

}  // namespace gatehouse::app
