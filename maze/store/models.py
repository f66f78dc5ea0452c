"""The database schema: installations, repositories, review runs and what each run found and posted."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RunStage(enum.StrEnum):
    """Where a review run is; `done`, `failed`, `superseded` and `skipped` are final."""

    QUEUED = "queued"
    INDEXING = "indexing"
    FINDING = "finding"
    GENERATING = "generating"
    VALIDATING = "validating"
    POSTING = "posting"
    DONE = "done"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    SKIPPED = "skipped"

    @property
    def is_final(self) -> bool:
        return self in {RunStage.DONE, RunStage.FAILED, RunStage.SUPERSEDED, RunStage.SKIPPED}


class SuggestionStatus(enum.StrEnum):
    PROPOSED = "proposed"
    REJECTED = "rejected"
    VALIDATED = "validated"
    POSTED = "posted"
    NOT_POSTED = "not_posted"
    OUTDATED = "outdated"
    APPLIED = "applied"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Installation(Base):
    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_login: Mapped[str] = mapped_column(String(255))
    account_type: Mapped[str] = mapped_column(String(32), default="Organization")
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    repositories: Mapped[list[Repository]] = relationship(
        back_populates="installation", cascade="all, delete-orphan", passive_deletes=True
    )


class Repository(Base):
    __tablename__ = "repositories"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(255), index=True)
    default_branch: Mapped[str] = mapped_column(String(255), default="main")

    installation: Mapped[Installation] = relationship(back_populates="repositories")
    runs: Mapped[list[ReviewRun]] = relationship(
        back_populates="repository", cascade="all, delete-orphan", passive_deletes=True
    )


class ReviewRun(Base):
    """One review of one head SHA of one pull request, for one trigger: "push" (every new head gets one)
    or `comment:<id>` (a `/maze` command asked for it)."""

    __tablename__ = "review_runs"
    __table_args__ = (UniqueConstraint("repository_id", "pr_number", "head_sha", "trigger"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"), index=True)
    pr_number: Mapped[int] = mapped_column(Integer)
    head_sha: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(64), default="push")
    stage: Mapped[RunStage] = mapped_column(_enum(RunStage, "run_stage"), default=RunStage.QUEUED)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    failed_stage: Mapped[str | None] = mapped_column(String(16), default=None)
    delivery_id: Mapped[str | None] = mapped_column(String(64), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    stage_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    repository: Mapped[Repository] = relationship(back_populates="runs")
    events: Mapped[list[RunEvent]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True, order_by="RunEvent.id"
    )
    files: Mapped[list[RunFile]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True, order_by="RunFile.path"
    )
    findings: Mapped[list[Finding]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )
    posted_reviews: Mapped[list[PostedReview]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )


class RunEvent(Base):
    """A stage a run entered, when, and why it left the normal path (failure, supersession)."""

    __tablename__ = "run_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("review_runs.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    detail: Mapped[str | None] = mapped_column(Text, default=None)

    run: Mapped[ReviewRun] = relationship(back_populates="events")


class RunFile(Base):
    """A file the pull request changes, as the indexing stage read it at the head SHA."""

    __tablename__ = "run_files"
    __table_args__ = (UniqueConstraint("run_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("review_runs.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16))
    blob_sha: Mapped[str | None] = mapped_column(String(40), default=None)
    patch: Mapped[str | None] = mapped_column(Text, default=None)
    content: Mapped[str | None] = mapped_column(Text, default=None)
    skipped: Mapped[str | None] = mapped_column(String(255), default=None)

    run: Mapped[ReviewRun] = relationship(back_populates="files")


class Finding(Base):
    """A problem a tool reported on a changed line."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("review_runs.id", ondelete="CASCADE"), index=True)
    tool: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(1024))
    line: Mapped[int] = mapped_column(Integer)
    end_line: Mapped[int] = mapped_column(Integer)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)

    run: Mapped[ReviewRun] = relationship(back_populates="findings")
    suggestions: Mapped[list[Suggestion]] = relationship(
        back_populates="finding", cascade="all, delete-orphan", passive_deletes=True
    )


class Suggestion(Base):
    """A candidate fix for a finding, with what validating it showed."""

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(1024))
    start_line: Mapped[int] = mapped_column(Integer)
    end_line: Mapped[int] = mapped_column(Integer)
    replacement: Mapped[str] = mapped_column(Text)
    original: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[SuggestionStatus] = mapped_column(
        _enum(SuggestionStatus, "suggestion_status"), default=SuggestionStatus.PROPOSED
    )
    checks: Mapped[list[str]] = mapped_column(JSON, default=list)
    rejection: Mapped[str | None] = mapped_column(Text, default=None)

    finding: Mapped[Finding] = relationship(back_populates="suggestions")
    feedback: Mapped[list[FeedbackEvent]] = relationship(
        back_populates="suggestion", cascade="all, delete-orphan", passive_deletes=True
    )


class PostedReview(Base):
    """A review Maze created on GitHub; `marker` is the hidden text that finds it again."""

    __tablename__ = "posted_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("review_runs.id", ondelete="CASCADE"), index=True)
    github_review_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    marker: Mapped[str] = mapped_column(String(128))
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    run: Mapped[ReviewRun] = relationship(back_populates="posted_reviews")
    comments: Mapped[list[PostedComment]] = relationship(
        back_populates="review", cascade="all, delete-orphan", passive_deletes=True
    )


class PostedComment(Base):
    __tablename__ = "posted_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("posted_reviews.id", ondelete="CASCADE"), index=True)
    suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestions.id", ondelete="SET NULL"), index=True, default=None
    )
    github_comment_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    node_id: Mapped[str | None] = mapped_column(String(128), default=None)
    path: Mapped[str] = mapped_column(String(1024))
    line: Mapped[int] = mapped_column(Integer)
    minimized_reason: Mapped[str | None] = mapped_column(String(32), default=None)

    review: Mapped[PostedReview] = relationship(back_populates="comments")


class FeedbackEvent(Base):
    """Something a person did with a posted suggestion (applied, resolved, reacted, replied...)."""

    __tablename__ = "feedback_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(255), default=None)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    suggestion: Mapped[Suggestion] = relationship(back_populates="feedback")


class WebhookDelivery(Base):
    """A GitHub delivery a worker has taken on, keyed by `X-GitHub-Delivery`."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64), default=None)
    installation_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IndexedBlob(Base):
    """What the indexer extracted from one git blob, shared by every worker and every repository.

    The key is everything the result depends on: the blob's content (its git SHA), the language it was
    parsed as, the grammar wheel's version and the hash of the tag query. `data` is compressed JSON.
    """

    __tablename__ = "indexed_blobs"

    blob_sha: Mapped[str] = mapped_column(String(40), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    grammar_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    query_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DiagnosticCacheEntry(Base):
    """What one validator tool reported on one set of file contents, shared by every worker.

    The key is everything the result depends on: the tool and its version, the hash of the tree's
    configuration files for that tool, and the hash of the contents it checked. `result` is the JSON of
    `maze.validators.model.ToolOutput` (diagnostics, passed and failed tests).
    """

    __tablename__ = "diagnostic_cache"

    tool: Mapped[str] = mapped_column(String(32), primary_key=True)
    tool_version: Mapped[str] = mapped_column(String(128), primary_key=True)
    config_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
