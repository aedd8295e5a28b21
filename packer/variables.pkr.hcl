# Inputs of the four role images. Paths are relative to this directory: run Packer from packer/.
# Validation tests `regex_replace(value, "^pattern$", "") == ""`: Packer 1.6.6 (the test's) has no regexall()
# and mis-reports can(regex(...)).

variable "region" {
  type        = string
  description = "AWS region the build instances run in and the AMIs are registered in."
  default     = "eu-west-1"

  validation {
    condition     = regex_replace(var.region, "^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", "") == ""
    error_message = "The region must be an AWS region code such as eu-west-1."
  }
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type of the temporary build instance (x86_64; the base image is amd64)."
  default     = "t3.medium"

  validation {
    condition     = regex_replace(var.instance_type, "^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\\.[a-z0-9]+$", "") == ""
    error_message = "The instance type must look like t3.medium."
  }
}

variable "volume_size" {
  type        = number
  description = "Size of the image's root volume in GiB (gp3). Instances may launch with a larger one."
  default     = 12

  validation {
    condition     = var.volume_size >= 8 && var.volume_size <= 100
    error_message = "The root volume must be between 8 and 100 GiB."
  }
}

variable "kms_key_id" {
  type        = string
  description = "KMS key (id, alias or ARN) that encrypts the images' snapshots; empty: the account's default EBS key (aws/ebs). Instances launched from the images must be allowed to use it."
  default     = ""
}

variable "project" {
  type        = string
  description = "Project name: prefix of the AMI names and value of the Project tag Terraform looks AMIs up by."
  default     = "prometheus-demo"

  validation {
    condition     = regex_replace(var.project, "^[a-z][a-z0-9-]{1,30}[a-z0-9]$", "") == ""
    error_message = "The project must be 3-32 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "version" {
  type        = string
  description = "Release version of the images (Version tag, part of the AMI name), e.g. 1.0.0 or 1.1.0-rc.1."

  validation {
    condition     = regex_replace(var.version, "^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$", "") == ""
    error_message = "The version must be 1-40 letters, digits, dots, dashes or pluses, e.g. 1.0.0."
  }
}

variable "git_commit" {
  type        = string
  description = "Git commit the images are built from (GitCommit tag, part of the AMI name): git rev-parse --short HEAD."

  validation {
    condition     = regex_replace(var.git_commit, "^[0-9a-f]{7,40}$", "") == ""
    error_message = "The git commit must be 7-40 lower-case hex digits, as git rev-parse --short HEAD prints."
  }
}

variable "api_jar" {
  type        = string
  description = "The order API's jar, built by ./mvnw install at the repository root."
  default     = "../app/target/order-api.jar"

  validation {
    condition     = regex_replace(var.api_jar, "^.+\\.jar$", "") == ""
    error_message = "The API jar must be a path ending in .jar."
  }
}

variable "api_libs_dir" {
  type        = string
  description = "The directory of the API's dependency jars (the jar's manifest Class-Path points into it)."
  default     = "../app/target/libs"

  validation {
    condition     = regex_replace(var.api_libs_dir, "^[^*?]+[^/]$", "") == ""
    error_message = "The libs directory must be a directory path without a trailing slash or wildcards."
  }
}

variable "loadtest_jar" {
  type        = string
  description = "The load generator's runnable jar, built by ./mvnw install at the repository root."
  default     = "../loadtest/target/loadtest.jar"

  validation {
    condition     = regex_replace(var.loadtest_jar, "^.+\\.jar$", "") == ""
    error_message = "The loadtest jar must be a path ending in .jar."
  }
}

variable "java_runtime_archive" {
  type        = string
  description = "The jlink Java runtime for the api and loadgen images, made by scripts/prepare-artifacts.sh."
  default     = "build/java-runtime.tar.gz"

  validation {
    condition     = regex_replace(var.java_runtime_archive, "^.+\\.tar\\.gz$", "") == ""
    error_message = "The Java runtime archive must be a .tar.gz made by scripts/prepare-artifacts.sh."
  }
}

variable "grafana_version" {
  type        = string
  description = "Grafana version installed from Grafana's signed APT repository (apt.grafana.com), e.g. 12.1.1."
  default     = "12.1.1"

  validation {
    condition     = regex_replace(var.grafana_version, "^[0-9]+\\.[0-9]+\\.[0-9]+$", "") == ""
    error_message = "The Grafana version must be MAJOR.MINOR.PATCH, e.g. 12.1.1."
  }
}
