"""A folder of small user videos of an odd size (90x70 RGB) in every format VideoFolder reads."""
import os
import os.path as osp

import cv2
import numpy as np

HEIGHT, WIDTH = 70, 90
#: name -> frames: an MJPG AVI, an mp4v MP4 (if this OpenCV writes it), a GIF, a PNG folder.
FRAMES = {'walk.avi': 45, 'drive.mp4': 30, 'spin.gif': 22, 'cam': 25}


def source_frame(t: int, seed: int) -> np.ndarray:
    """RGB [70, 90, 3]: a horizontal ramp per channel (so a crop position shows) and a square."""
    x = np.arange(WIDTH, dtype=np.int64)
    frame = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    frame[..., 0] = (x * 2 + 10 * seed) % 256
    frame[..., 1] = (255 - x * 2) % 256
    frame[..., 2] = 40 * seed + 3 * t
    frame[20:36, (4 * t) % 60:(4 * t) % 60 + 16] = 250
    return frame


def gif_frame(t: int) -> np.ndarray:
    """Few flat colours, so the GIF palette holds them exactly."""
    frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    frame[:, :45] = (200, 10 * t, 0)
    frame[:, 45:] = (0, 0, 255 - 5 * t)
    return frame


def write_video(path: str, count: int, seed: int, fourcc: str) -> bool:
    """A video of ``source_frame``s; False if OpenCV cannot write ``fourcc`` here."""
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 25, (WIDTH, HEIGHT))
    if not writer.isOpened():
        return False
    for t in range(count):
        writer.write(cv2.cvtColor(source_frame(t, seed), cv2.COLOR_RGB2BGR))
    writer.release()
    return True


def write_video_folder(root: str) -> bool:
    """Fill ``root`` with the videos of FRAMES and a README; whether the MP4 could be written."""
    from PIL import Image
    assert write_video(osp.join(root, 'walk.avi'), FRAMES['walk.avi'], 1, 'MJPG')
    has_mp4 = write_video(osp.join(root, 'drive.mp4'), FRAMES['drive.mp4'], 2, 'mp4v')
    gif = [Image.fromarray(gif_frame(t)) for t in range(FRAMES['spin.gif'])]
    gif[0].save(osp.join(root, 'spin.gif'), save_all=True, append_images=gif[1:], duration=40)
    cam = osp.join(root, 'cam')
    os.makedirs(cam)
    for t in range(FRAMES['cam']):  # frame_2 before frame_10: natural order
        cv2.imwrite(osp.join(cam, f'frame_{t}.png'),
                    cv2.cvtColor(source_frame(t, 3), cv2.COLOR_RGB2BGR))
    with open(osp.join(root, 'README.md'), 'w') as f:
        f.write('not a video')
    return has_mp4
