"""Video generation jobs started through POST /v1/videos (Veo long-running operations)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class VideoJob(models.Model):
    """One Veo operation, polled by `tasks.video_poll_task` until it is done.

    `id` is what the API caller sees ("video_..."); the Vertex operation name stays here (it names
    the GCP project). The finished video's bytes are kept in `content` so that every web process
    can serve GET /v1/videos/{id}/content.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    id = models.CharField(primary_key=True, max_length=40, editable=False)
    token = models.ForeignKey("gateway_admin.ApiToken", null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    model = models.CharField(max_length=128)
    key = models.ForeignKey("gateway_admin.VertexKey", null=True, blank=True, on_delete=models.SET_NULL)
    region = models.CharField(max_length=40)
    target = models.CharField(max_length=128)
    operation = models.CharField(max_length=512)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    prompt = models.TextField(blank=True, default="")
    seconds = models.CharField(max_length=8, blank=True, default="")
    size = models.CharField(max_length=16, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    content = models.BinaryField(null=True, blank=True, editable=False)
    content_type = models.CharField(max_length=64, blank=True, default="")
    # Set instead of `content` when Vertex wrote the video to Cloud Storage (a `storage_uri` request).
    content_uri = models.CharField(max_length=1024, blank=True, default="")
    polls = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} {self.model} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)
