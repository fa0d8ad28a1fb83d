"""qyx_excel — the 七优享 ledger and reporting tool (瑞安市公共服务“七优享”工程台账)."""

__version__ = "0.1.0"
#: Version of the fill-in template layout; intake refuses files of another major layout.
TEMPLATE_VERSION = "2025.1"
