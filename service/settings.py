"""Service configuration: the only module that reads environment variables (prefix WIRE_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The worker's Faust tables; each has a compacted changelog topic named after the app id.
# These are fed from (and partitioned like) wire.normalised...
TABLES = ("dedup", "stories", "decisions")
# ...and this one from wire.raw: which shard each feed's items went to.
ROUTES_TABLE = "routes"


# The input topics' records carry the broker's clock when it appended them: their time is
# the worker's clock of arrival, so no producer's stamp may set it.
ARRIVAL_STAMPED = {"message.timestamp.type": "LogAppendTime"}


class TopicSettings(BaseModel):
    """Topic names and partition counts. Names are dotted, one per pipeline edge."""

    raw: str = "wire.raw"
    normalised: str = "wire.normalised"
    articles: str = "wire.articles"
    duplicates: str = "wire.duplicates"
    stories: str = "wire.stories"
    dlq: str = "wire.dlq"
    # Editors' story commands (split, merge): few, and applied in the order sent.
    commands: str = "wire.commands"
    raw_partitions: int = 4
    normalised_partitions: int = 4
    output_partitions: int = 4

    def inputs(self) -> frozenset[str]:
        """The topics others write to and the worker reads with their arrival time."""
        return frozenset({self.raw, self.commands})

    def all_topics(self) -> dict[str, int]:
        """Every topic the service owns, with its partition count."""
        return {
            self.raw: self.raw_partitions,
            self.normalised: self.normalised_partitions,
            self.articles: self.output_partitions,
            self.duplicates: self.output_partitions,
            self.stories: self.output_partitions,
            self.dlq: self.output_partitions,
            self.commands: 1,
        }


class Settings(BaseSettings):
    """Everything configurable. Nested values use a double underscore: WIRE_TOPICS__RAW."""

    model_config = SettingsConfigDict(env_prefix="WIRE_", env_nested_delimiter="__")

    kafka_host: str = "127.0.0.1"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    kafka_version: str = "4.1.1"
    kafka_heap: str = "1g"
    # Where the local broker's jars, data and logs live (not used with docker compose).
    kafka_cache_dir: Path = PROJECT_ROOT / ".cache" / "kafka"
    kafka_data_dir: Path = PROJECT_ROOT / "var" / "kafka"

    app_id: str = "wirefeed"
    worker_data_dir: Path = PROJECT_ROOT / "var" / "worker"
    # Where the worker keeps its tables: "rocksdb" on disk under worker_data_dir (a restart
    # reads only the changelog written since), or "memory" (a restart reads it all back).
    table_store: Literal["rocksdb", "memory"] = "rocksdb"
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    topics: TopicSettings = Field(default_factory=TopicSettings)

    max_article_bytes: int = 512 * 1024
    # When set, the HTTP push endpoint takes POSTs only with `Authorization: Bearer <token>`.
    push_token: SecretStr | None = None
    # How long the push endpoint waits for the broker before it answers 503 (the client
    # retries): with kafka-python's defaults a request waited 120 s, and with the broker down
    # a handful of them held every worker thread of the endpoint.
    push_send_seconds: float = 15.0
    # Requests the push endpoint handles at once, each with its body in memory (up to 16 MiB)
    # and a thread of its own; more get an immediate 503 with Retry-After. Unbounded, 200
    # concurrent 1.9 MB POSTs with a slow broker took 519 MiB and up to 511 s for an answer.
    push_max_in_flight: int = Field(default=8, ge=1)
    # How much of a rejected input its dead letter keeps; 0: all of it (any record the raw
    # topic takes), so that every letter can be replayed once its cause is fixed.
    dlq_payload_bytes: int = 0

    # The shared evaluation data (ecbplus, googlenews-stories) that `wirefeed eval` reads,
    # unless given `--data`: beside the project's folder, wherever the command is run from.
    eval_data_dir: Path = PROJECT_ROOT.parent / "shared" / "data"

    # Sources (an article's `source`, any case) that get a label of their own in the
    # worker's metrics, each exported from the start so that the silent-source alert sees
    # one that never sends; any other is "other". Comma-separated. Unset: the first 20
    # sources each worker happens to see (which ones depends on partition order).
    metric_sources: Annotated[tuple[str, ...], NoDecode] = ()

    dedup_horizon_seconds: float = 5 * 24 * 3600.0
    story_horizon_seconds: float = 3 * 24 * 3600.0

    @field_validator("metric_sources", mode="before")
    @classmethod
    def _split_sources(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def max_record_bytes(self) -> int:
        """The largest record a producer sends and a topic takes: an output carries the
        article again (~1.1x its raw size) with its metadata, so four times the article
        limit, and never under Kafka's own default of 1 MiB."""
        return max(self.max_article_bytes * 4, 1024 * 1024)

    @property
    def dlq_payload_limit(self) -> int:
        return self.dlq_payload_bytes or self.max_record_bytes

    @property
    def max_dead_letter_bytes(self) -> int:
        """A dead letter holds a whole input (base64 at worst: 4/3) and its envelope."""
        return 2 * self.max_record_bytes

    def changelog_topics(self) -> dict[str, int]:
        """The tables' changelog topics, partitioned like the topic the tables are fed from."""
        partitions = {table: self.topics.normalised_partitions for table in TABLES}
        partitions[ROUTES_TABLE] = self.topics.raw_partitions
        return {f"{self.app_id}-{table}-changelog": n for table, n in partitions.items()}

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.kafka_host}:{self.kafka_port}"

    @property
    def broker_url(self) -> str:
        return f"kafka://{self.bootstrap_servers}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
