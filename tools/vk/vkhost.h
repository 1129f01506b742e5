/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small Vulkan compute helper for the Vulkan consumer test and benchmark:
 * import a region's mapping as device memory (VK_EXT_external_memory_host),
 * run a shader that writes into it, import a dma-buf image with its DRM
 * format and modifier where the driver can. Not part of libsealbuf.
 */
#ifndef SEALBUF_VKHOST_H
#define SEALBUF_VKHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vkh {
	VkInstance inst;
	VkPhysicalDevice pd;
	VkDevice dev;
	VkQueue queue;
	uint32_t qfamily;
	VkPhysicalDeviceMemoryProperties mem;
	VkDeviceSize host_align;  /* minImportedHostPointerAlignment */
	bool has_dmabuf;          /* VK_EXT_external_memory_dma_buf + image_drm_format_modifier */
	char name[256];           /* the device's name */
	VkCommandPool pool;
	VkDescriptorSetLayout dsl;
	VkPipelineLayout layout;
	VkPipeline pipe;
	VkDescriptorPool dpool;
	PFN_vkGetMemoryHostPointerPropertiesEXT host_props;
	PFN_vkGetMemoryFdPropertiesKHR fd_props;
};

/* Imported memory and the buffer bound to it. */
struct vkh_buf {
	VkBuffer buf;
	VkDeviceMemory mem;
	VkDeviceSize size;
};

/*
 * Open the first device with VK_EXT_external_memory_host and a compute
 * queue. 0, or -ENODEV/-EIO with the reason in @why (no such device: a skip).
 */
int vkh_open(struct vkh *v, char *why, size_t len);
void vkh_close(struct vkh *v);

/* Import @size bytes at @ptr (aligned to v->host_align) as a storage buffer. */
int vkh_import_host(struct vkh *v, void *ptr, size_t size, struct vkh_buf *b, char *why, size_t len);
/* A device-local buffer of @size bytes that transfers can write (the copy baseline). */
int vkh_device_buffer(struct vkh *v, size_t size, struct vkh_buf *b, char *why, size_t len);
void vkh_buf_free(struct vkh *v, struct vkh_buf *b);

/* The compute shader writes d[i] = i * 2654435761 + seed over the whole buffer; waits for it. */
int vkh_fill(struct vkh *v, const struct vkh_buf *b, uint32_t seed, char *why, size_t len);
/* vkCmdCopyBuffer @src to @dst (the smaller size) and wait. */
int vkh_copy(struct vkh *v, const struct vkh_buf *src, const struct vkh_buf *dst, char *why,
	     size_t len);

/*
 * Import a dma-buf as a linear image of DRM format @fourcc (one plane at
 * @offset, @stride) with VK_EXT_image_drm_format_modifier; needs has_dmabuf.
 * @fd stays the caller's (a dup is imported).
 */
int vkh_import_dmabuf_image(struct vkh *v, int fd, uint32_t fourcc, uint32_t width,
			    uint32_t height, uint64_t offset, uint32_t stride, char *why, size_t len);

/* The value the shader writes at index @i. */
static inline uint32_t vkh_pattern(uint32_t i, uint32_t seed)
{
	return i * 2654435761u + seed;
}

#endif
