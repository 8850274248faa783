"""A runnable mock GP FHIR server with fault injection, for tests, benchmarks and demonstrations."""

from adapters.mock_gp.app import create_mock_gp_app
from adapters.mock_gp.faults import FAULTS_ENV, FaultConfig
from adapters.mock_gp.server import running_mock_gp, serve_mock_gp

__all__ = ["FAULTS_ENV", "FaultConfig", "create_mock_gp_app", "running_mock_gp", "serve_mock_gp"]
