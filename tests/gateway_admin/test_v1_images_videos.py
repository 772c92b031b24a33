"""Images (Imagen, Gemini image models) and Veo videos through /v1, with the openai SDK."""

from __future__ import annotations

import base64
import io
import time

import openai
import pytest

from gateway_admin.models import VideoJob

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning"),
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def client(live_v1, media_key, developer_user, api_token_factory):
    return live_v1.openai(api_token_factory(developer_user))


@pytest.fixture
def fast_polls(settings):
    settings.VIDEO_POLL_INTERVAL_SECONDS = 0.05
    return settings


def a_png():
    from routing.emulator.predict import png

    return png(7)


def test_it_generates_imagen_images_as_base64(client, vertex):
    result = client.images.generate(model="imagen-3", prompt="a lighthouse at dusk", n=2, size="1024x1024")
    assert isinstance(result.created, int)
    assert len(result.data) == 2
    assert all(base64.b64decode(image.b64_json).startswith(PNG_SIGNATURE) for image in result.data)
    (sent,) = vertex.requests(":predict")
    assert sent["body"]["instances"] == [{"prompt": "a lighthouse at dusk"}]
    assert sent["body"]["parameters"]["sampleCount"] == 2


def test_it_asks_gemini_image_models_for_image_output_and_returns_their_png(client, vertex):
    result = client.images.generate(model="gemini-image", prompt="a lighthouse at dusk")
    assert isinstance(result.created, int)
    (image,) = result.data
    assert base64.b64decode(image.b64_json).startswith(PNG_SIGNATURE)
    (sent,) = vertex.requests("gemini-2.5-flash-image:generateContent")
    assert "IMAGE" in sent["body"]["generationConfig"]["responseModalities"]


def test_it_answers_url_requests_with_data_urls(client, vertex):
    result = client.images.generate(model="imagen-3", prompt="a cat", response_format="url")
    assert result.data[0].url.startswith("data:image/png;base64,")


def test_it_edits_an_uploaded_image_sent_as_multipart(client, vertex):
    result = client.images.edit(model="imagen-edit", image=("in.png", io.BytesIO(a_png()), "image/png"),
                                prompt="add a red hat")
    assert base64.b64decode(result.data[0].b64_json).startswith(PNG_SIGNATURE)
    (sent,) = vertex.requests("imagen-3.0-capability-001:predict")
    reference = sent["body"]["instances"][0]["referenceImages"][0]["referenceImage"]
    assert base64.b64decode(reference["bytesBase64Encoded"]) == a_png()


def test_an_image_request_without_a_prompt_names_the_field(client, live_v1):
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="imagen-3", prompt="")
    assert caught.value.body["param"] == "prompt"


def wait_for(client, video_id, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        video = client.videos.retrieve(video_id)
        if video.status in ("completed", "failed"):
            return video
        time.sleep(0.05)
    raise AssertionError(f"video {video_id} did not finish")


def test_a_video_is_started_polled_in_the_background_and_downloaded(client, vertex, fast_polls):
    video = client.videos.create(model="veo-2", prompt="waves on a beach", seconds="8", size="1280x720")
    assert video.object == "video"
    assert video.id.startswith("video_")
    assert video.status == "queued" and video.progress == 0
    assert video.model == "veo-2" and video.seconds == "8" and video.size == "1280x720"
    # The request only started the operation; the polls come from the task afterwards.
    assert len(vertex.requests(":predictLongRunning")) == 1

    done = wait_for(client, video.id)
    assert done.status == "completed" and done.progress == 100 and done.completed_at
    assert len(vertex.requests(":fetchPredictOperation")) >= 1
    content = client.videos.download_content(video.id).read()
    assert content[4:8] == b"ftyp"  # an MP4 file
    assert VideoJob.objects.get(pk=video.id).polls >= 1


def test_a_video_with_a_reference_image_and_no_model_uses_the_veo_deployment(client, vertex, fast_polls):
    video = client.videos.create(prompt="the cat walks", input_reference=("cat.png", io.BytesIO(a_png()), "image/png"))
    assert video.model == "veo-2"
    (sent,) = vertex.requests(":predictLongRunning")
    assert base64.b64decode(sent["body"]["instances"][0]["image"]["bytesBase64Encoded"]) == a_png()
    wait_for(client, video.id)


def test_downloading_an_unfinished_video_is_refused(client, vertex, settings):
    settings.VIDEO_POLL_INTERVAL_SECONDS = 60  # no poll during this test
    video = client.videos.create(model="veo-2", prompt="slow clouds")
    with pytest.raises(openai.ConflictError) as caught:
        client.videos.download_content(video.id)
    assert caught.value.body["code"] == "video_not_ready"


def test_a_video_is_visible_only_to_its_owner(client, live_v1, vertex, admin_user, api_token_factory, settings):
    settings.VIDEO_POLL_INTERVAL_SECONDS = 60
    video = client.videos.create(model="veo-2", prompt="private")
    stranger = live_v1.openai(api_token_factory(admin_user))
    with pytest.raises(openai.NotFoundError):
        stranger.videos.retrieve(video.id)
    with pytest.raises(openai.NotFoundError):
        stranger.videos.download_content(video.id)


def test_a_failing_poll_marks_the_video_failed(client, vertex, fast_polls):
    video = client.videos.create(model="veo-2", prompt="doomed")
    vertex.add_fault(status=403, path_contains=":fetchPredictOperation")
    done = wait_for(client, video.id)
    assert done.status == "failed"
    assert done.error.code and done.error.message


def test_a_video_survives_a_broker_outage_and_is_picked_up_again(client, vertex, fast_polls, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from gateway_admin.services import videos

    real_schedule = videos.video_poll_schedule

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(videos, "video_poll_schedule", broker_down)
    video = client.videos.create(model="veo-2", prompt="a kite")  # still answers: the job is stored
    assert video.status == "queued"
    monkeypatch.setattr(videos, "video_poll_schedule", real_schedule)
    assert not vertex.requests(":fetchPredictOperation")
    # Its owner looks at it later: the stalled job is handed to Celery again (not polled in the request).
    VideoJob.objects.filter(pk=video.id).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert wait_for(client, video.id).status == "completed"


def test_the_v1_schema_states_the_rules_the_server_applies():
    from gateway_admin.openai_api.schemas import COMPONENTS
    from routing.families.embeddings import TASK_TYPES

    assert "image" in COMPONENTS["ImageEditRequest"]["required"]
    assert set(COMPONENTS["EmbeddingsRequest"]["properties"]["task_type"]["enum"]) == TASK_TYPES
    tool = COMPONENTS["ResponsesRequest"]["properties"]["tools"]["items"]
    assert tool["properties"]["type"] == {"const": "function"}
    import re

    size = re.compile(COMPONENTS["VideoCreateRequest"]["properties"]["size"]["pattern"])
    assert size.search("1280x720") and size.search("auto")
    assert not size.search("00x00") and not size.search("big") and not size.search("0x720")
