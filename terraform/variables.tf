################################################################################
# Where and what to launch
################################################################################

variable "region" {
  description = "AWS region to launch in; the AMIs must have been baked (or copied) there"
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "The region must look like an AWS region name, for example eu-west-1."
  }
}

variable "project" {
  description = "Project name: the Project tag on AMIs and instances, the prefix of names and of the SSM parameters"
  type        = string
  default     = "prometheus-demo"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project))
    error_message = "The project must be 3 to 20 characters of lower-case letters, digits and hyphens, starting with a letter (IAM name prefixes allow 38 characters in all)."
  }
}

variable "ami_version" {
  description = "Version tag of the Packer-baked AMIs to launch. Pinned on purpose: a new bake never replaces running instances until this changes"
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$", var.ami_version)) && lower(var.ami_version) != "latest"
    error_message = "The ami_version must be one exact Version tag (letters, digits, '.', '_', '+', '-'), not a pattern and not \"latest\"."
  }
}

variable "instance_types" {
  description = "EC2 instance type per role"
  type = object({
    api     = optional(string, "t3.medium")
    db      = optional(string, "t3.medium")
    monitor = optional(string, "t3.small")
    loadgen = optional(string, "t3.medium")
  })
  default = {}

  validation {
    condition     = alltrue([for t in values(var.instance_types) : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])
    error_message = "Each instance type must look like an EC2 instance type, for example t3.medium."
  }
}

variable "root_volume_sizes" {
  description = "Root volume size in GiB per role; raised to the AMI's own snapshot size when that is larger"
  type = object({
    api     = optional(number, 16)
    db      = optional(number, 32)
    monitor = optional(number, 16)
    loadgen = optional(number, 16)
  })
  default = {}

  validation {
    condition     = alltrue([for s in values(var.root_volume_sizes) : s >= 8 && s <= 1024 && floor(s) == s])
    error_message = "Each root volume size must be a whole number of GiB between 8 and 1024."
  }
}

variable "api_instance_count" {
  description = "Number of order API instances (or the Auto Scaling group's size, with api_autoscaling), all behind the internal load balancer the load generator targets, spread over the two subnets"
  type        = number
  default     = 1

  validation {
    condition     = var.api_instance_count >= 1 && var.api_instance_count <= 10 && floor(var.api_instance_count) == var.api_instance_count
    error_message = "The api_instance_count must be a whole number from 1 to 10."
  }
}

variable "api_autoscaling" {
  description = "Whether the API hosts are an Auto Scaling group of api_instance_count instances from a launch template (replaced when they fail EC2 status checks) instead of api_instance_count individual instances"
  type        = bool
  default     = false
}

variable "loadgen_instance_count" {
  description = "Number of load generator instances"
  type        = number
  default     = 1

  validation {
    condition     = var.loadgen_instance_count >= 1 && var.loadgen_instance_count <= 10 && floor(var.loadgen_instance_count) == var.loadgen_instance_count
    error_message = "The loadgen_instance_count must be a whole number from 1 to 10."
  }
}

variable "loadtest_results_retention_days" {
  description = "Days the results of a multi-host load test (runs/<run id>/ in the results bucket) are kept before S3 deletes them"
  type        = number
  default     = 30

  validation {
    condition     = var.loadtest_results_retention_days >= 1 && var.loadtest_results_retention_days <= 3650 && floor(var.loadtest_results_retention_days) == var.loadtest_results_retention_days
    error_message = "The loadtest_results_retention_days must be a whole number from 1 to 3650."
  }
}

################################################################################
# Database
################################################################################

variable "db_mode" {
  description = "Where MySQL runs: \"instance\" (the Packer-baked db host, with node_exporter and the stress-ng db-stress) or \"rds\" (RDS for MySQL 8.0; the monitor host creates the accounts and runs mysqld_exporter against it)"
  type        = string
  default     = "instance"

  validation {
    condition     = contains(["instance", "rds"], var.db_mode)
    error_message = "The db_mode must be \"instance\" or \"rds\"."
  }
}

variable "rds_instance_class" {
  description = "RDS instance class when db_mode is \"rds\""
  type        = string
  default     = "db.t4g.medium"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.rds_instance_class))
    error_message = "The rds_instance_class must look like an RDS instance class, for example db.t4g.medium."
  }
}

variable "rds_allocated_storage" {
  description = "RDS storage in GiB (gp3) when db_mode is \"rds\""
  type        = number
  default     = 20

  validation {
    condition     = var.rds_allocated_storage >= 20 && var.rds_allocated_storage <= 1024 && floor(var.rds_allocated_storage) == var.rds_allocated_storage
    error_message = "The rds_allocated_storage must be a whole number of GiB from 20 to 1024."
  }
}

variable "rds_multi_az" {
  description = "Whether the RDS instance has a standby in the second availability zone (about twice the cost; a failover takes one to two minutes)"
  type        = bool
  default     = false
}

################################################################################
# Network and access
################################################################################

variable "operator_cidr" {
  description = "IPv4 CIDR the operator works from (for example 203.0.113.7/32): the only source allowed to reach Grafana, Prometheus and, with a key pair, SSH"
  type        = string

  validation {
    condition     = can(cidrnetmask(var.operator_cidr)) && try(tonumber(split("/", var.operator_cidr)[1]) >= 8, false)
    error_message = "The operator_cidr must be an IPv4 CIDR with a prefix of /8 or longer, for example 203.0.113.7/32; 0.0.0.0/0 (the whole internet) is refused."
  }
}

variable "create_vpc" {
  description = "Whether to create a dedicated VPC with two public subnets in two availability zones instead of using the account's default VPC"
  type        = bool
  default     = false
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the dedicated VPC (used only when create_vpc is true); its first two subnets with 8 more prefix bits (two /24s of a /16) become the subnets"
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrsubnet(var.vpc_cidr, 8, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "The vpc_cidr must be an IPv4 CIDR from /16 to /20 (each subnet is 8 bits longer, and AWS allows subnets up to /28), for example 10.42.0.0/16."
  }
}

variable "key_name" {
  description = "Name of an existing EC2 key pair. Null (the default) means no SSH at all: use SSM Session Manager. When set, SSH is opened from operator_cidr only"
  type        = string
  default     = null

  validation {
    condition     = var.key_name == null || try(length(var.key_name) > 0, false)
    error_message = "The key_name must be null or the name of an existing key pair, not an empty string."
  }
}

variable "ssh_user" {
  description = "Login user of the AMIs' base image, used only in the SSH command outputs"
  type        = string
  default     = "ubuntu"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]*$", var.ssh_user))
    error_message = "The ssh_user must be a valid Linux user name."
  }
}

################################################################################
# Secrets and tags
################################################################################

variable "secrets_version" {
  description = "Version of the generated passwords in SSM. Increase it to write new random values (the db keeps its first-boot password: replace the db instance too)"
  type        = number
  default     = 1

  validation {
    condition     = var.secrets_version >= 1 && floor(var.secrets_version) == var.secrets_version
    error_message = "The secrets_version must be a whole number of at least 1."
  }
}

variable "tags" {
  description = "Extra tags for every resource; Project, Role and Name are set by this configuration and cannot be overridden"
  type        = map(string)
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.tags), ["Project", "Role", "Name"])) == 0
    error_message = "The tags must not set Project, Role or Name: Prometheus discovery depends on them."
  }
}
