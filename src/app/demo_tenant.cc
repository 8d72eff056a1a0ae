#include "app/demo_tenant.h"

#include <filesystem>
#include <fstream>

#include "app/tenant_io.h"
#include "crypto/crypto.h"

namespace gatehouse::app {

absl::Status SeedDemoTenant(store::Store& store) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("gatehouse-demo-" + crypto::RandomToken(8));
  for (const auto& [path, contents] : DemoTenantFiles()) {
    fs::path file = dir / std::string(path);
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    std::ofstream(file, std::ios::binary) << contents;
  }
  auto summary = ImportTenant(store, dir.string(), "gatehouse serve --demo");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return summary.ok() ? absl::OkStatus() : summary.status();
}

}  // namespace gatehouse::app
