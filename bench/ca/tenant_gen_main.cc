// gatehouse_tenant_gen: writes the benchmark tenant (bench/ca/tenant_generator.h) as a tenant
// bundle folder, plus a JSON Lines file of sign-ins for `gatehouse evaluate --signins` and the
// Cedar peer (bench/peers/cedar).
#include <chrono>
#include <iostream>

#include "CLI/CLI.hpp"
#include "bench/ca/tenant_generator.h"

int main(int argc, char** argv) {
  gatehouse::bench::TenantShape shape;
  std::string out_dir = "ca-bench-tenant";
  std::string sign_ins_path;
  std::size_t sign_in_count = 200000;
  std::uint64_t sign_in_seed = 7;
  bool check = false;

  CLI::App app("Generates the large Conditional Access benchmark tenant (deterministic)");
  app.add_option("--out", out_dir, "bundle folder to write")->capture_default_str();
  app.add_option("--signins", sign_ins_path, "JSON Lines file of sign-ins to write (default: "
                                             "<out>/signins.jsonl)");
  app.add_option("--count", sign_in_count, "number of sign-ins")->capture_default_str();
  app.add_option("--seed", shape.seed, "tenant seed")->capture_default_str();
  app.add_option("--signin-seed", sign_in_seed, "sign-in seed")->capture_default_str();
  app.add_option("--policies", shape.policies, "policies")->capture_default_str();
  app.add_option("--users", shape.users, "users")->capture_default_str();
  app.add_option("--groups", shape.groups, "groups")->capture_default_str();
  app.add_option("--devices", shape.devices, "devices")->capture_default_str();
  app.add_flag("--check", check, "also read the generated documents through the codecs");
  CLI11_PARSE(app, argc, argv);
  if (sign_ins_path.empty()) sign_ins_path = out_dir + "/signins.jsonl";

  auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  gatehouse::bench::TenantDocuments docs = gatehouse::bench::GenerateTenantDocuments(shape);
  std::cerr << "generated " << docs.policies.size() << " policies, "
            << docs.named_locations.size() << " named locations, " << shape.users << " users, "
            << shape.groups << " groups, " << shape.devices << " devices in " << seconds()
            << " s\n";
  if (check) {
    auto tenant = gatehouse::bench::BuildTenant(docs);
    if (!tenant.ok()) {
      std::cerr << tenant.status().message() << '\n';
      return 1;
    }
    std::cerr << "read back through the codecs: " << tenant->problems.problems().size()
              << " warning(s)\n";
  }
  if (auto s = gatehouse::bench::WriteBundle(docs, out_dir); !s.ok()) {
    std::cerr << s.message() << '\n';
    return 1;
  }
  auto sign_ins = gatehouse::bench::GenerateSignIns(docs, sign_in_count, sign_in_seed);
  if (auto s = gatehouse::bench::WriteSignIns(sign_ins, sign_ins_path); !s.ok()) {
    std::cerr << s.message() << '\n';
    return 1;
  }
  std::cerr << "wrote " << out_dir << " and " << sign_in_count << " sign-ins to " << sign_ins_path
            << " in " << seconds() << " s\n";
  return 0;
}
