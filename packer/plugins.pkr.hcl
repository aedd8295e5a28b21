# The Packer version and plugin this directory is written for. `packer init .` installs the plugin.
# Kept in a file of its own: Debian's Packer 1.6.6, which test.sh uses for `packer validate`, rejects this
# block, so the test validates a copy of the directory without this file (README.md, "How it is tested").
packer {
  # 1.14.1 and later download plugins from releases.hashicorp.com, where the amazon plugin is published now.
  required_version = ">= 1.14.1"

  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = "~> 1.8"
    }
  }
}
