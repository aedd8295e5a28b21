# Terraform and provider constraints. Write-only arguments (value_wo) and ephemeral resources, which keep
# the generated passwords out of state, need Terraform 1.11 or later.

terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
